//! A fast scanner for one top-level field of a JSON object, without parsing the rest.
//!
//! Event `data` is stored as JSON text. Built-in folds read one or two top-level fields
//! per event (`qty`, `sku`); building a `serde_json::Value` for each event would cost far
//! more than the fold itself. [`field`] walks the object once, skipping values it does not
//! need (strings byte by byte up to the closing quote, nested objects and arrays by
//! depth), and returns the raw text of the wanted value.
//!
//! The text was validated as JSON when the event entered the log, but the scanner does
//! not rely on it: on malformed input it returns `None` and never panics or reads out of
//! bounds. A top-level value that is not an object has no fields. When a key occurs twice,
//! the first occurrence wins (serde_json keeps the last; duplicate keys are rare enough
//! that we document rather than pay for it).

/// The raw JSON text of the top-level field `name` of the object `json`, if present.
pub fn field<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let b = json.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        match b.get(i)? {
            b'"' => {}
            _ => return None, // `}` of an empty object, or malformed
        }
        let key_start = i + 1;
        let key_end = string_end(b, i)?; // index of the closing quote
        let key = &json[key_start..key_end];
        i = skip_ws(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value_start = i;
        let value_end = value_end(b, i)?;
        if key_eq(key, name) {
            return Some(&json[value_start..value_end]);
        }
        i = skip_ws(b, value_end);
        match b.get(i)? {
            b',' => i += 1,
            _ => return None, // `}`: not found
        }
    }
}

/// Every top-level member of the object `json` as (raw key text, raw value text), in
/// order; `None` when `json` is not an object. Checks structure only as far as [`field`]
/// does: callers that need well-formed JSON check it first (the CloudEvents import).
pub fn members(json: &str) -> Option<Vec<(&str, &str)>> {
    let b = json.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = &json[i + 1..key_end];
        i = skip_ws(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let end = value_end(b, i)?;
        out.push((key, &json[i..end]));
        i = skip_ws(b, end);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return Some(out),
            _ => return None,
        }
    }
}

/// Does the raw (still escaped) key text equal `name`? An escape makes the raw text
/// longer than what it decodes to, so only a longer raw key can need decoding.
#[inline]
fn key_eq(raw: &str, name: &str) -> bool {
    if raw.len() <= name.len() {
        return raw == name;
    }
    if !raw.contains('\\') {
        return false;
    }
    // Rare: an escaped key. Decode it properly.
    unescape(raw).is_some_and(|k| k == name)
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(c) = b.get(i) {
        if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            break;
        }
        i += 1;
    }
    i
}

/// `b[i]` is an opening quote; returns the index of the closing one. Looks at eight
/// bytes at a time for a quote or a backslash (payload strings are most of the bytes).
#[inline]
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Non-zero where a byte of `v` is zero; the lowest flagged byte is always a true zero.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut j = i + 1;
    loop {
        while let Some(chunk) = b.get(j..j + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let w = u64::from_le_bytes(w);
            let hit = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')));
            if hit != 0 {
                j += (hit.trailing_zeros() / 8) as usize;
                break;
            }
            j += 8;
        }
        match b.get(j)? {
            b'"' => return Some(j),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The index just past the value starting at `b[i]`.
pub(crate) fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i).map(|j| j + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => j = string_end(b, j)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            // Number, true, false, null: up to a delimiter.
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The value of a raw JSON number, if `raw` is one and it is finite as an `f64`.
/// Anything else (a string such as `"3"`, `true`, `null`, an object) is `None`.
#[inline]
pub fn number(raw: &str) -> Option<f64> {
    let b = raw.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if !digits.first()?.is_ascii_digit() {
        return None;
    }
    // Fast path: a plain integer of at most 15 digits is exact in an f64.
    if digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for d in digits {
            n = n * 10 + u64::from(d - b'0');
        }
        let v = n as f64;
        return Some(if neg { -v } else { v });
    }
    // Slow path: fractions and exponents, correctly rounded (by hand, not the standard
    // library's parser: the package's size, see `decimal`).
    super::decimal::parse(raw)
}

/// A raw JSON value as a group name: strings give their contents; numbers and booleans
/// their JSON text; `null`, objects and arrays give `None` (the event is skipped).
pub fn group_name(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match raw.as_bytes().first()? {
        b'"' => {
            let inner = raw.get(1..raw.len().checked_sub(1)?)?;
            if inner.contains('\\') {
                string(raw).map(Cow::Owned)
            } else {
                Some(Cow::Borrowed(inner))
            }
        }
        b'{' | b'[' | b'n' => None,
        _ => Some(Cow::Borrowed(raw)),
    }
}

/// The contents of a raw JSON string literal (`"a\"b"` → `a"b`); `None` when `raw` is not
/// exactly one well-formed string.
pub fn string(raw: &str) -> Option<String> {
    unescape(raw.strip_prefix('"')?.strip_suffix('"')?)
}

/// Decodes the text between the quotes of a JSON string, as serde_json does (escapes,
/// surrogate pairs; a control character, a bare quote or a lone surrogate is `None`).
/// Hand-written so that the wasm package links no serde deserializer for it (docs/size.md).
pub fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\0'..='\u{1f}' => return None,
            '\\' => out.push(match chars.next()? {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let hi = hex4(&mut chars)?;
                    let code = match hi {
                        0xD800..=0xDBFF => {
                            if chars.next()? != '\\' || chars.next()? != 'u' {
                                return None;
                            }
                            let lo = hex4(&mut chars)?;
                            if !(0xDC00..=0xDFFF).contains(&lo) {
                                return None;
                            }
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return None,
                        _ => hi,
                    };
                    char::from_u32(code)?
                }
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json does (the inverse
/// of [`string`]).
pub fn push_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_top_level_fields_only() {
        let j = r#" { "a" : {"qty": 9, "s": "x}\"]"}, "list": [1, {"qty": 8}], "qty" : -12 , "z": null } "#;
        assert_eq!(field(j, "qty"), Some("-12"));
        assert_eq!(field(j, "z"), Some("null"));
        assert_eq!(field(j, "a"), Some(r#"{"qty": 9, "s": "x}\"]"}"#));
        assert_eq!(field(j, "missing"), None);
        assert_eq!(field("{}", "a"), None);
        assert_eq!(field("[1,2]", "a"), None);
        assert_eq!(field("3", "a"), None);
        assert_eq!(field(r#"{"q\u0074y": 4}"#, "qty"), Some("4"));
    }

    #[test]
    fn lists_top_level_members_in_order() {
        let j = r#" { "a" : {"qty": 9}, "l": [1, "]"] ,"k\u0074":"x" } "#;
        assert_eq!(members(j), Some(vec![("a", r#"{"qty": 9}"#), ("l", r#"[1, "]"]"#), ("k\\u0074", r#""x""#)]));
        assert_eq!(members(" {} "), Some(vec![]));
        for j in ["[1]", "3", "{", "{\"a\":1 \"b\":2}", "{1:2}", "{\"a\":}"] {
            assert_eq!(members(j), None, "{j}");
        }
    }

    #[test]
    fn malformed_input_gives_none_without_panicking() {
        for j in
            ["", "{", "{\"a", "{\"a\"", "{\"a\":", "{\"a\":[", "{\"a\":\"\\", "{\"a\" 1}", "{1:2}", "{\"a\":1 \"b\":2}"]
        {
            assert_eq!(field(j, "b"), None, "{j}");
        }
    }

    #[test]
    fn long_strings_with_escapes_at_every_offset() {
        for pad in 0..20 {
            let filler = "x".repeat(pad);
            let j = format!(r#"{{"a": "{filler}\"{filler}\\", "{filler}": 1, "b": "{filler}", "qty": 5}}"#);
            assert_eq!(field(&j, "qty"), Some("5"), "{j}");
            assert_eq!(field(&j, "b"), Some(&*format!("\"{filler}\"")), "{j}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("42"), Some(42.0));
        assert_eq!(number("-7"), Some(-7.0));
        assert_eq!(number("2.5e2"), Some(250.0));
        assert_eq!(number("12345678901234567890"), Some(12345678901234567890.0));
        assert_eq!(number("1e400"), None);
        for bad in ["\"3\"", "true", "null", "-", "-inf", "inf", "{}", ""] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }

    #[test]
    fn strings_decode_like_serde_json() {
        for raw in [
            r#""""#,
            r#""plain""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u0000\uD83D\uDE00""#,
            r#""é😀""#,
            r#""\uD83D""#,
            r#""\uDE00x""#,
            r#""\uD83Dx""#,
            r#""\x""#,
            r#""a\""#,
            r#""a"b""#,
            "\"tab\there\"",
            r#""\u12G4""#,
            "\"",
            "x",
        ] {
            assert_eq!(string(raw), serde_json::from_str::<String>(raw).ok(), "{raw}");
        }
    }

    #[test]
    fn push_string_round_trips() {
        for s in ["", "plain", "a\"b\\c", "\n\r\t\u{1}\u{8}\u{c}\u{1f}", "é😀", "\u{7f}"] {
            let mut out = String::new();
            push_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
            assert_eq!(string(&out).as_deref(), Some(s));
        }
    }

    #[test]
    fn group_names() {
        assert_eq!(group_name("\"sock\"").as_deref(), Some("sock"));
        assert_eq!(group_name("\"a\\\"b\"").as_deref(), Some("a\"b"));
        assert_eq!(group_name("7").as_deref(), Some("7"));
        assert_eq!(group_name("true").as_deref(), Some("true"));
        assert_eq!(group_name("null"), None);
        assert_eq!(group_name("[1]"), None);
        assert_eq!(group_name("\""), None);
    }
}
