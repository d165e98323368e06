//! A fast check that a payload is JSON, for the validation every event goes through.
//!
//! Every local append and every remote event checks that `data` is one JSON value
//! (invariant 8: a malformed payload is refused, not stored). With serde_json
//! (`from_str::<IgnoredAny>`) that check was about a quarter of a merge's instructions
//! (callgrind, docs/core-performance.md). [`is_json`] is a single pass without
//! allocation that scans strings eight bytes at a time.
//!
//! It accepts exactly RFC 8259's grammar, which is what serde_json's `IgnoredAny` accepts
//! (the same whitespace, escapes, number syntax; no trailing commas, no trailing text; no
//! nesting limit). The unit tests compare both on generated and mutated inputs. A refusal
//! is worded here ([`check`] gives the byte offset) rather than by serde_json, so the wasm
//! package links no serde_json deserializer at all (docs/size.md).

/// Is `s` one JSON value, with optional whitespace around it?
pub(crate) fn is_json(s: &str) -> bool {
    check(s).is_ok()
}

/// [`is_json`], or the byte offset where `s` stops being JSON.
pub(crate) fn check(s: &str) -> Result<(), usize> {
    let b = s.as_bytes();
    // Open containers, innermost in the lowest bit: 1 for an object, 0 for an array; each
    // full 64 levels are spilled to `deeper` (no allocation unless nested deeper than 64).
    let mut stack: u64 = 0;
    let mut deeper: Vec<u64> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0usize;
    'value: loop {
        i = skip_ws(b, i);
        let Some(&c) = b.get(i) else { return Err(i) };
        match c {
            b'{' | b'[' => {
                i = skip_ws(b, i + 1);
                let close = if c == b'{' { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    i += 1;
                } else {
                    if depth > 0 && depth.is_multiple_of(64) {
                        deeper.push(stack);
                        stack = 0;
                    }
                    stack = stack << 1 | u64::from(c == b'{');
                    depth += 1;
                    if c == b'{' {
                        i = key(b, i).ok_or(i)?;
                    }
                    continue 'value;
                }
            }
            b'"' => i = string(b, i + 1).ok_or(i)?,
            b't' | b'f' | b'n' => {
                let lit: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !b[i..].starts_with(lit) {
                    return Err(i);
                }
                i += lit.len();
            }
            b'-' | b'0'..=b'9' => i = number(b, i).ok_or(i)?,
            _ => return Err(i),
        }
        // After a value: close containers, or go on to the next element.
        loop {
            i = skip_ws(b, i);
            if depth == 0 {
                return if i == b.len() { Ok(()) } else { Err(i) };
            }
            let object = stack & 1 == 1;
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    if object {
                        i = key(b, i).ok_or(i)?;
                    }
                    continue 'value;
                }
                Some(b']') if !object => {}
                Some(b'}') if object => {}
                _ => return Err(i),
            }
            i += 1;
            depth -= 1;
            stack >>= 1;
            if depth > 0 && depth.is_multiple_of(64) {
                stack = deeper.pop().unwrap_or(0);
            }
        }
    }
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Whitespace, a string, whitespace, `:`; the index after the colon.
#[inline(always)]
fn key(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i);
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let i = skip_ws(b, string(b, i + 1)?);
    (b.get(i) == Some(&b':')).then_some(i + 1)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The bytes of `w` that need a closer look inside a string (`"`, `\` or a control
/// byte), as a mask with the high bit of such bytes set. The lowest set bit is exact (the
/// classic has-zero-byte / has-less-than tricks can only misreport bytes above a real
/// match); bytes ≥ 0x80, parts of UTF-8 sequences, never match.
#[inline]
fn special(w: u64) -> u64 {
    let quote = w ^ (ONES * b'"' as u64);
    let backslash = w ^ (ONES * b'\\' as u64);
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    (zero(quote) | zero(backslash) | control) & HIGH
}

/// The rest of a string after its opening quote; the index after the closing quote. The
/// input is a `&str`, so the bytes are valid UTF-8 already.
#[inline(always)]
fn string(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        // Skip plain bytes eight at a time, up to the first byte that needs a look.
        while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            let m = special(u64::from_le_bytes(*chunk));
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        let c = *b.get(i)?;
        i += 1;
        match c {
            b'"' => return Some(i),
            b'\\' => match *b.get(i)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 1,
                b'u' => {
                    if !b.get(i + 1..i + 5)?.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    i += 5;
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => {}
        }
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; the index after it.
#[inline]
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let j = digits(i + 1);
        if j == i + 1 {
            return None;
        }
        i = j;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let j = digits(i);
        if j == i {
            return None;
        }
        i = j;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_ok(s: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
    }

    fn same(s: &str) {
        assert_eq!(is_json(s), serde_ok(s), "{s:?}");
    }

    #[test]
    fn known_cases() {
        for ok in [
            "null",
            " true ",
            "false",
            "0",
            "-0",
            "-0.5e+10",
            "1E5",
            "123.456",
            r#""""#,
            r#""a\"b\\c\/\b\f\n\r\t\u00e9\uD83D""#,
            "\"héllo wörld, ünïcode 𝄞 long enough to span chunks\"",
            "[]",
            "{}",
            "[ ]",
            "{ }",
            r#"{"a":1,"b":[true,false,null,{"c":"d"}],"e":{}}"#,
            "\t\r\n[1 , 2 ,\n3]\n",
            r#"{"sku":"sku-00012","qty":3,"price":12.99,"note":"added from the product page"}"#,
        ] {
            assert!(is_json(ok), "{ok:?}");
            same(ok);
        }
        for bad in [
            "",
            " ",
            "nul",
            "nulll",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "\"abc",
            "\"a\u{1}b\"",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\\u12\"",
            "[",
            "]",
            "{\"a\":1}}",
            "1 2",
            "[1]x",
            "{\"a\":}",
            "tru",
            "\"\t\"",
        ] {
            assert!(!is_json(bad), "{bad:?}");
            same(bad);
        }
    }

    #[test]
    fn deep_nesting_has_no_limit_as_in_serde_json() {
        for depth in [63, 64, 65, 128, 129, 1000] {
            let arrays = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let mixed = format!("{}1{}", r#"{"a":["#.repeat(depth), "]}".repeat(depth));
            for ok in [&arrays, &mixed] {
                same(ok);
                assert!(is_json(ok), "depth {depth}");
            }
            // A wrong closer at any depth is found.
            let wrong = format!("{}1{}}}{}", r#"{"a":["#.repeat(depth), "]}".repeat(depth - 1), "]");
            same(&wrong);
            assert!(!is_json(&wrong), "depth {depth}");
        }
    }

    #[test]
    fn a_refusal_says_where() {
        assert_eq!(check(r#"{"a":1,}"#), Err(7));
        assert_eq!(check("[1, 2] x"), Err(7));
        assert_eq!(check(""), Err(0));
        assert_eq!(check(" null "), Ok(()));
    }

    /// Mutations of valid documents (every single-byte deletion, and replacements by
    /// the characters that matter to the grammar) must get the same answer as serde_json.
    #[test]
    fn agrees_with_serde_json_on_mutations() {
        let seeds = [
            r#"{"a":[1,-2.5e3,"x\"y",true,null],"b":{"c":"\u00e9 long text here"}}"#,
            r#"[0,{"k":"v"},[],{},"\\",false]"#,
            "\"0123456789abcdef\\n0123456789\"",
        ];
        let alphabet = [
            b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'1', b'-', b'+', b'.', b'e', b'E', b' ', b'\n',
            b'u', b'a', b'n', b't', 0x01, 0x1f,
        ];
        let mut checked = 0;
        for seed in seeds {
            same(seed);
            let bytes = seed.as_bytes();
            for i in 0..bytes.len() {
                let mut del = bytes.to_vec();
                del.remove(i);
                if let Ok(s) = std::str::from_utf8(&del) {
                    same(s);
                    checked += 1;
                }
                for c in alphabet {
                    let mut rep = bytes.to_vec();
                    rep[i] = c;
                    let mut ins = bytes.to_vec();
                    ins.insert(i, c);
                    for v in [rep, ins] {
                        if let Ok(s) = std::str::from_utf8(&v) {
                            same(s);
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn special_bytes_are_found_in_every_lane() {
        for lane in 0..8 {
            for c in [b'"', b'\\', 0u8, 0x1f] {
                let mut w = [b'a'; 8];
                w[lane] = c;
                assert_eq!((special(u64::from_le_bytes(w)).trailing_zeros() / 8) as usize, lane, "{c} at {lane}");
            }
            let mut w = [b'a'; 8];
            w[lane] = 0xc3;
            assert_eq!(special(u64::from_le_bytes(w)), 0);
            w[lane] = 0x20;
            assert_eq!(special(u64::from_le_bytes(w)), 0);
            w[lane] = 0x7f;
            assert_eq!(special(u64::from_le_bytes(w)), 0);
        }
    }
}
