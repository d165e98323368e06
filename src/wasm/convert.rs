//! Moving values between JavaScript and Rust.
//!
//! Both directions go through JSON text, one crossing per call, never one per field:
//! - in: `JSON.stringify(input)` in JS, then serde in Rust (event `data` is kept as raw
//!   JSON text: it is stored byte for byte and never parsed into a tree);
//! - out: Rust writes one JSON document for a whole result (all events of a query, with
//!   their `data` spliced in raw), and JS builds the objects with one `JSON.parse`.
//!
//! docs/js-interop.md has the measurements behind that choice (serde-wasm-bindgen and
//! per-event crossings were slower).

use std::fmt::Write as _;

use js_sys::JSON;
use serde::Deserialize;
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;

use crate::core::{At, Draft, Error, Event, ExpectedVersion, Filter, InvalidEvent, Meta, VersionVector};

use super::errors::{to_js, type_error};

/// One event as JS gives it to `append`. Unknown fields are ignored, so an event object
/// read from the log can be spread into a new draft.
#[derive(Deserialize)]
struct JsDraft<'a> {
    stream: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    meta: Meta,
    /// The idempotency key.
    #[serde(default)]
    id: Option<String>,
}

/// `JSON.stringify(v)`, with its failures (BigInt, cycles) as `InvalidEventError`.
fn stringify(v: &JsValue, what: &str) -> Result<String, JsValue> {
    match JSON::stringify(v) {
        Ok(s) => s.as_string().ok_or_else(|| type_error(&format!("{what} is not JSON-serializable"))),
        Err(e) => {
            let msg = js_sys::Error::from(e).message();
            Err(to_js(&Error::Invalid(InvalidEvent::BadJson(format!("{what}: {msg}")))))
        }
    }
}

/// The drafts of `append(ev | ev[])`, and whether an array was given.
pub fn drafts_from_js(v: &JsValue) -> Result<(Vec<Draft>, bool), JsValue> {
    if !v.is_object() {
        return Err(type_error("append expects an event object or an array of them"));
    }
    let json = stringify(v, "the event")?;
    // Not a serde untagged enum: those buffer their input and cannot hold a borrowed RawValue.
    let bad = |e: serde_json::Error| to_js(&Error::Invalid(InvalidEvent::BadJson(format!("not an event: {e}"))));
    let many = json.starts_with('[');
    let list: Vec<JsDraft> =
        if many { serde_json::from_str(&json).map_err(bad)? } else { vec![serde_json::from_str(&json).map_err(bad)?] };
    let drafts = list
        .into_iter()
        .map(|d| Draft {
            stream: d.stream,
            kind: d.kind,
            key: d.key,
            data: d.data.map_or_else(|| "null".to_string(), |r| r.get().to_string()),
            meta: d.meta,
            idempotency_key: d.id,
        })
        .collect();
    Ok((drafts, many))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsFilter {
    stream: Option<String>,
    stream_prefix: Option<String>,
    #[serde(rename = "type")]
    types: Option<Types>,
    key: Option<String>,
    at: Option<serde_json::Value>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Types {
    One(String),
    Many(Vec<String>),
}

/// A filter object (`undefined`/`null`: everything). Unknown fields are a `TypeError`:
/// a misspelt field would otherwise widen the selection silently.
pub fn filter_from_js(v: &JsValue) -> Result<Filter, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(Filter::default());
    }
    if !v.is_object() {
        return Err(type_error("a filter must be an object"));
    }
    let json = stringify(v, "the filter")?;
    let f: JsFilter = serde_json::from_str(&json).map_err(|e| type_error(&format!("bad filter: {e}")))?;
    let at = match f.at {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(mut m)) => {
            if m.len() == 1 && m.contains_key("time") {
                let t = m.remove("time").and_then(|t| t.as_f64()).filter(|t| *t >= 0.0);
                Some(At::Time(t.ok_or_else(|| type_error("filter.at.time must be a number of ms"))? as u64))
            } else {
                let m = m.remove("version").unwrap_or(serde_json::Value::Object(m));
                let vv: VersionVector = serde_json::from_value(m)
                    .map_err(|e| type_error(&format!("filter.at must be a version or {{ time }}: {e}")))?;
                Some(At::Version(vv))
            }
        }
        Some(_) => return Err(type_error("filter.at must be a version or { time }")),
    };
    Ok(Filter {
        stream: f.stream,
        stream_prefix: f.stream_prefix,
        types: match f.types {
            None => vec![],
            Some(Types::One(t)) => vec![t],
            Some(Types::Many(v)) => v,
        },
        key: f.key,
        at,
        limit: f.limit,
    })
}

/// `expectedVersion`: a number, `"no-stream"`, `"any"` or absent.
pub fn expected_version_from_js(v: &JsValue) -> Result<ExpectedVersion, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(ExpectedVersion::Any);
    }
    if let Some(n) = v.as_f64() {
        if n >= 0.0 && n.fract() == 0.0 && n <= 9007199254740991.0 {
            return Ok(ExpectedVersion::Exact(n as u64));
        }
    }
    match v.as_string().as_deref() {
        Some("any") => Ok(ExpectedVersion::Any),
        Some("no-stream") => Ok(ExpectedVersion::NoStream),
        _ => Err(type_error("expectedVersion must be a non-negative integer, \"no-stream\" or \"any\"")),
    }
}

/// Appends `s` as a JSON string literal.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends one event as a JSON object (the shape of the TypeScript `LogEvent`).
pub fn push_event(out: &mut String, e: &Event) {
    let _ = write!(out, "{{\"id\":\"{}\",\"stream\":", e.id);
    push_str(out, &e.stream);
    out.push_str(",\"type\":");
    push_str(out, &e.kind);
    if let Some(k) = &e.key {
        out.push_str(",\"key\":");
        push_str(out, k);
    }
    out.push_str(",\"data\":");
    out.push_str(&e.data);
    if !e.meta().is_empty() {
        out.push_str(",\"meta\":{");
        for (i, (k, v)) in e.meta().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, k);
            out.push(':');
            push_str(out, v);
        }
        out.push('}');
    }
    if let Some(k) = e.idempotency_key() {
        out.push_str(",\"idempotencyKey\":");
        push_str(out, k);
    }
    let _ = write!(out, ",\"lamport\":{},\"time\":{}", e.lamport, e.time);
    if !e.deps().is_empty() {
        out.push_str(",\"deps\":[");
        for (i, d) in e.deps().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{d}\"");
        }
        out.push(']');
    }
    out.push('}');
}

/// A JSON array of events.
pub fn events_json<'a>(events: impl IntoIterator<Item = &'a Event>) -> String {
    let mut out = String::from("[");
    for (i, e) in events.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_event(&mut out, e);
    }
    out.push(']');
    out
}

/// Parses JSON that Rust wrote (cannot fail on well-formed output).
pub fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or(JsValue::UNDEFINED)
}

/// Events as an array of JS objects.
pub fn events_to_js<'a>(events: impl IntoIterator<Item = &'a Event>) -> JsValue {
    parse(&events_json(events))
}

/// One event as a JS object.
pub fn event_to_js(e: &Event) -> JsValue {
    let mut s = String::new();
    push_event(&mut s, e);
    parse(&s)
}

/// Any serde value (versions, fold states) as a JS value.
pub fn to_js_value<T: serde::Serialize>(v: &T) -> JsValue {
    serde_json::to_string(v).map_or(JsValue::UNDEFINED, |s| parse(&s))
}
