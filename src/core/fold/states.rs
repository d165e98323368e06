//! The built-ins' states as JSON text, read and written by hand.
//!
//! - **snapshots**: [`StateCodec`](super::StateCodec) encodes and decodes a built-in state
//!   here, as the JSON serde would write for it: a count or sum is one integer (a sum is
//!   its `f64` bits), groupSum `{"name": bits}`, latest `{"key": "data text"}`, register
//!   `{"key": [["seq@actor", "data text"], …]}`;
//! - **results**: [`Builtin::json`](super::Builtin::json) writes the value JavaScript sees,
//!   splicing event data in as it is stored (as `log.events()` does).
//!
//! Why by hand: a serde `Deserialize` for these maps, instantiated for serde_json, links
//! the deserializer's type-error paths and through them float formatting, and each
//! `Serialize` instance links more serializer code; the npm package pays for every
//! instance (docs/size.md). The reader accepts exactly what serde_json
//! writes (plus whitespace) and checks each data text is JSON, as events are on entry, so
//! a result built from a decoded state always parses. Foreign bytes are a typed error,
//! never a panic.

use crate::core::name::Name;
use std::collections::{BTreeMap, HashMap};

use super::numeric::{Exact, FxBuild};
use super::scan;
use crate::core::error::DecodeError;
use crate::core::id::EventId;

/// A cursor over JSON text.
struct Reader<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Option<Self> {
        Some(Reader { text: std::str::from_utf8(bytes).ok()?, i: 0 })
    }

    fn ws(&mut self) {
        let b = self.text.as_bytes();
        while matches!(b.get(self.i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    /// Skips whitespace; consumes `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.text.as_bytes().get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    /// The raw text of the next value.
    fn raw(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        self.i = scan::value_end(self.text.as_bytes(), start)?;
        self.text.get(start..self.i)
    }

    fn string(&mut self) -> Option<String> {
        scan::string(self.raw()?)
    }

    /// A non-negative integer without sign, fraction or exponent, as serde_json writes a u64.
    fn u64(&mut self) -> Option<u64> {
        let raw = self.raw()?;
        if raw.is_empty() || (raw.len() > 1 && raw.starts_with('0')) {
            return None;
        }
        raw.bytes().try_fold(0u64, |n, d| {
            if !d.is_ascii_digit() {
                return None;
            }
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }

    /// `[item, …]`, calling `item` for each element.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.eat(b'[') {
            return None;
        }
        if self.eat(b']') {
            return Some(());
        }
        loop {
            item(self)?;
            if self.eat(b']') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// `{"key": value, …}`, calling `member` with each decoded key (the value follows).
    fn object(&mut self, mut member: impl FnMut(&mut Self, String) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            member(self, key)?;
            if self.eat(b'}') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// A JSON string whose contents must themselves be JSON (stored event data).
    fn data_text(&mut self) -> Option<Box<str>> {
        let text = self.string()?;
        is_json(&text).then(|| text.into_boxed_str())
    }

    /// Only whitespace may follow.
    fn end(mut self) -> Option<()> {
        self.ws();
        (self.i == self.text.len()).then_some(())
    }
}

/// Is `text` one well-formed JSON value? (The check events get on entry.)
pub(crate) fn is_json(text: &str) -> bool {
    crate::core::json::is_json(text)
}

fn decode<T>(bytes: &[u8], read: impl FnOnce(&mut Reader<'_>) -> Option<T>) -> Result<T, DecodeError> {
    let malformed = || DecodeError::Malformed { what: "snapshot state", at: 0 };
    let mut r = Reader::new(bytes).ok_or_else(malformed)?;
    let v = read(&mut r).ok_or_else(malformed)?;
    r.end().ok_or_else(malformed)?;
    Ok(v)
}

/// A count, or a sum's bits.
pub(super) fn decode_u64(bytes: &[u8]) -> Result<u64, DecodeError> {
    decode(bytes, |r| r.u64())
}

/// groupSum: name → sum bits.
pub(super) fn decode_sums(bytes: &[u8]) -> Result<HashMap<Box<str>, Exact, FxBuild>, DecodeError> {
    decode(bytes, |r| {
        let mut m = HashMap::default();
        r.object(|r, k| {
            m.insert(k.into_boxed_str(), Exact(f64::from_bits(r.u64()?)));
            Some(())
        })?;
        Some(m)
    })
}

/// latest: key → data text.
pub(super) fn decode_latest(bytes: &[u8]) -> Result<BTreeMap<String, String>, DecodeError> {
    decode(bytes, |r| {
        let mut m = BTreeMap::new();
        r.object(|r, k| {
            m.insert(k, r.data_text()?.into_string());
            Some(())
        })?;
        Some(m)
    })
}

/// Register heads of one key.
pub(super) type Heads = Vec<(EventId, Box<str>)>;

/// register: key → heads `[id, data text]`.
pub(super) fn decode_register(bytes: &[u8]) -> Result<BTreeMap<Name, Heads>, DecodeError> {
    decode(bytes, |r| {
        let mut m = BTreeMap::new();
        r.object(|r, k| {
            let mut heads = Vec::new();
            r.array(|r| {
                let mut id = None;
                let mut text = None;
                r.array(|r| {
                    if id.is_none() {
                        id = Some(r.string()?.parse::<EventId>().ok()?);
                    } else if text.is_none() {
                        text = Some(r.data_text()?);
                    } else {
                        return None;
                    }
                    Some(())
                })?;
                heads.push((id?, text?));
                Some(())
            })?;
            m.insert(Name::from(k), heads);
            Some(())
        })?;
        Some(m)
    })
}

/// Snapshot encoders: the bytes `serde_json::to_vec` writes for each state (the decoders
/// above read both), without linking serde_json's serializer into the package.
pub(super) fn encode_u64(v: u64) -> Vec<u8> {
    v.to_string().into_bytes()
}

pub(super) fn encode_sums(m: &HashMap<Box<str>, Exact, FxBuild>) -> Vec<u8> {
    let mut out = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        push_key(&mut out, i == 0, k);
        out.push_str(&v.0.to_bits().to_string());
    }
    out.push('}');
    out.into_bytes()
}

pub(super) fn encode_latest(m: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        push_key(&mut out, i == 0, k);
        scan::push_string(&mut out, v);
    }
    out.push('}');
    out.into_bytes()
}

pub(super) fn encode_register(m: &BTreeMap<Name, Heads>) -> Vec<u8> {
    let mut out = String::from("{");
    for (i, (k, heads)) in m.iter().enumerate() {
        push_key(&mut out, i == 0, k);
        out.push('[');
        for (j, (id, v)) in heads.iter().enumerate() {
            out.push_str(if j == 0 { "[\"" } else { ",[\"" });
            out.push_str(&id.to_string());
            out.push_str("\",");
            scan::push_string(&mut out, v);
            out.push(']');
        }
        out.push(']');
    }
    out.push('}');
    out.into_bytes()
}

/// An `f64` result as JSON: integral values within ±2^53 as integers, non-finite as null.
pub(super) fn push_number(out: &mut String, v: f64) {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if v.fract() == 0.0 && v.abs() <= EXACT {
        out.push_str(&(v as i64).to_string());
    } else {
        match serde_json::Number::from_f64(v) {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("null"),
        }
    }
}

/// Starts the member `k` of an object being written: `,"k":` (no comma before the first).
pub(super) fn push_key(out: &mut String, first: bool, k: &str) {
    if !first {
        out.push(',');
    }
    scan::push_string(out, k);
    out.push(':');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_writes() {
        let id: EventId = "3@000000000000000000000000000000ab".parse().unwrap();
        let mut reg = BTreeMap::new();
        reg.insert(Name::from("t\"itle"), vec![(id, Box::<str>::from("{\"a\": [1, \"x\"]}"))]);
        reg.insert(Name::from("empty"), vec![]);
        let bytes = serde_json::to_vec(&reg).unwrap();
        assert_eq!(encode_register(&reg), bytes);
        assert_eq!(decode_register(&bytes).unwrap(), reg);
        let mut latest = BTreeMap::new();
        latest.insert("a\u{1}".to_owned(), "[\"\\\"x\"]".to_owned());
        latest.insert("b".to_owned(), "1".to_owned());
        assert_eq!(encode_latest(&latest), serde_json::to_vec(&latest).unwrap());
        let mut sums: HashMap<Box<str>, Exact, FxBuild> = HashMap::default();
        sums.insert("x".into(), Exact(2.5));
        assert_eq!(decode_sums(&encode_sums(&sums)).unwrap(), sums);
        assert_eq!(encode_u64(42), b"42");
        assert_eq!(decode_u64(b" 18446744073709551615 ").unwrap(), u64::MAX);
        let sums = decode_sums(br#"{"a": 4607182418800017408, "b\u00e9": 0}"#).unwrap();
        assert_eq!(sums.get("a").map(|e| e.0), Some(1.0));
        assert_eq!(sums.get("bé").map(|e| e.0), Some(0.0));
        assert_eq!(decode_latest(br#"{}"#).unwrap(), BTreeMap::new());
    }

    #[test]
    fn foreign_bytes_are_errors() {
        for bad in [&b""[..], b"-1", b"01", b"1.0", b"18446744073709551616", b"1 2", b"\xff", b"\"1\"", b"{", b"[]"] {
            assert!(decode_u64(bad).is_err(), "{bad:?}");
        }
        for bad in [&br#"{"a":"{"}"#[..], br#"{"a":1}"#, br#"{"a":"1",}"#, br#"{"a" "1"}"#, br#"{a:"1"}"#, br#"["1"]"#]
        {
            assert!(decode_latest(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let id = "\"1@000000000000000000000000000000ab\"";
        for bad in [
            format!(r#"{{"k":[[{id}]]}}"#),
            format!(r#"{{"k":[[{id},"1","2"]]}}"#),
            r#"{"k":[["0@000000000000000000000000000000ab","1"]]}"#.to_string(),
            format!(r#"{{"k":[[{id},"1"],]}}"#),
            format!(r#"{{"k":[{id},"1"]}}"#),
        ] {
            assert!(decode_register(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(decode_sums(br#"{"a":1.5}"#).is_err());
    }
}
