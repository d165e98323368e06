//! Moving values between JavaScript and Rust.
//!
//! Out, one crossing per call: Rust writes one JSON document for a whole result (all events
//! of a query, with their `data` spliced in raw), and JS builds the objects with one
//! `JSON.parse`. docs/js-interop.md has the measurements behind that choice
//! (serde-wasm-bindgen and per-event crossings were slower).
//!
//! In (`append` drafts, filters): the few fields are read off the JS object with
//! `Reflect.get`, and only an event's `data` goes through `JSON.stringify` (its text is
//! stored byte for byte, never parsed into a tree). Reading by hand instead of a serde
//! derive keeps serde_json's deserializer out of the package (docs/size.md).

use std::fmt::Write as _;

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

use crate::core::fold::scan::push_string as push_str;
use crate::core::{ActorId, At, Draft, Error, EventRef, ExpectedVersion, Filter, InvalidEvent, Meta, VersionVector};

use super::errors::{to_js, type_error};

/// `o[k]`, with `null` read as `undefined` (absent).
fn get(o: &JsValue, k: &str) -> Result<JsValue, JsValue> {
    let v = Reflect::get(o, &JsValue::from_str(k))?;
    Ok(if v.is_null() { JsValue::UNDEFINED } else { v })
}

/// The own enumerable fields of `o` whose value is not `undefined` (what `JSON.stringify`
/// would write), as `[key, value]`.
fn entries(o: &JsValue) -> Vec<(String, JsValue)> {
    Object::entries(o.unchecked_ref())
        .iter()
        .filter_map(|kv| {
            let kv: Array = kv.unchecked_into();
            let v = kv.get(1);
            Some((kv.get(0).as_string()?, v)).filter(|(_, v)| !v.is_undefined())
        })
        .collect()
}

/// An optional string field; `bad` makes the error for any other type.
fn opt_string(o: &JsValue, k: &str, bad: &dyn Fn(String) -> JsValue) -> Result<Option<String>, JsValue> {
    let v = get(o, k)?;
    if v.is_undefined() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| bad(format!("`{k}` must be a string")))
}

/// `JSON.stringify(v)` (`"null"` for what it leaves out, such as `undefined`), with its
/// failures (BigInt, cycles) as `InvalidEventError`.
fn stringify(v: &JsValue, what: &str) -> Result<String, JsValue> {
    match JSON::stringify(v) {
        Ok(s) => Ok(s.as_string().unwrap_or_else(|| "null".into())),
        Err(e) => {
            let msg = js_sys::Error::from(e).message();
            Err(to_js(&Error::Invalid(InvalidEvent::BadJson(format!("{what}: {msg}")))))
        }
    }
}

fn not_an_event(msg: String) -> JsValue {
    to_js(&Error::Invalid(InvalidEvent::BadJson(format!("not an event: {msg}"))))
}

/// One event as JS gives it to `append`. Unknown fields are ignored, so an event object
/// read from the log can be spread into a new draft; `id` is the idempotency key.
fn draft_from_js(o: &JsValue) -> Result<Draft, JsValue> {
    if !o.is_object() || Array::is_array(o) {
        return Err(not_an_event("expected an object".into()));
    }
    let required = |k: &str| opt_string(o, k, &not_an_event)?.ok_or_else(|| not_an_event(format!("missing `{k}`")));
    let mut meta = Meta::new();
    let m = get(o, "meta")?;
    if !m.is_undefined() {
        if !m.is_object() || Array::is_array(&m) {
            return Err(not_an_event("`meta` must be an object of strings".into()));
        }
        for (k, v) in entries(&m) {
            let v = v.as_string().ok_or_else(|| not_an_event(format!("meta `{k}` must be a string")))?;
            meta.insert(k, v);
        }
    }
    Ok(Draft {
        stream: required("stream")?,
        kind: required("type")?,
        key: opt_string(o, "key", &not_an_event)?,
        data: stringify(&get(o, "data")?, "the event")?,
        meta,
        idempotency_key: opt_string(o, "id", &not_an_event)?,
    })
}

/// The drafts of `append(ev | ev[])`, and whether an array was given.
pub fn drafts_from_js(v: &JsValue) -> Result<(Vec<Draft>, bool), JsValue> {
    if !v.is_object() {
        return Err(type_error("append expects an event object or an array of them"));
    }
    if Array::is_array(v) {
        let list: &Array = v.unchecked_ref();
        Ok((list.iter().map(|d| draft_from_js(&d)).collect::<Result<_, _>>()?, true))
    } else {
        Ok((vec![draft_from_js(v)?], false))
    }
}

const FILTER_FIELDS: [&str; 6] = ["stream", "streamPrefix", "type", "key", "at", "limit"];

fn bad_filter(msg: String) -> JsValue {
    type_error(&format!("bad filter: {msg}"))
}

/// A JS number that is an integer in `0..=max`.
fn whole(v: &JsValue, max: f64) -> Option<f64> {
    v.as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= max)
}

/// `filter.at`: `{ time }`, a version `{ [actor]: seq }`, or `{ version }`.
fn at_from_js(at: &JsValue) -> Result<Option<At>, JsValue> {
    let bad = |msg: &str| type_error(&format!("filter.at must be a version or {{ time }}{msg}"));
    if at.is_undefined() {
        return Ok(None);
    }
    if !at.is_object() || Array::is_array(at) {
        return Err(bad(""));
    }
    let fields = entries(at);
    if fields.len() == 1 && fields[0].0 == "time" {
        let t = fields[0].1.as_f64().filter(|t| *t >= 0.0);
        return Ok(Some(At::Time(t.ok_or_else(|| type_error("filter.at.time must be a number of ms"))? as u64)));
    }
    let version = match fields.iter().find(|(k, _)| k == "version") {
        Some((_, v)) if v.is_object() && !Array::is_array(v) => entries(v),
        Some(_) => return Err(bad(": `version` must be an object")),
        None => fields,
    };
    let mut vv = VersionVector::new();
    for (actor, seq) in version {
        let a: ActorId = actor.parse().map_err(|_| bad(&format!(": bad actor id \"{actor}\"")))?;
        let s = whole(&seq, 18_446_744_073_709_549_568.0).ok_or_else(|| bad(": seqs are non-negative integers"))?;
        vv.set(a, s as u64);
    }
    Ok(Some(At::Version(vv)))
}

/// A filter object (`undefined`/`null`: everything). Unknown fields are a `TypeError`:
/// a misspelt field would otherwise widen the selection silently.
pub fn filter_from_js(v: &JsValue) -> Result<Filter, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(Filter::default());
    }
    if !v.is_object() || Array::is_array(v) {
        return Err(type_error("a filter must be an object"));
    }
    for (k, _) in entries(v) {
        if !FILTER_FIELDS.contains(&k.as_str()) {
            return Err(bad_filter(format!("unknown field `{k}`, expected one of {}", FILTER_FIELDS.join(", "))));
        }
    }
    let t = get(v, "type")?;
    let types = if t.is_undefined() {
        vec![]
    } else if let Some(one) = t.as_string() {
        vec![one]
    } else if Array::is_array(&t) {
        let list: &Array = t.unchecked_ref();
        list.iter()
            .map(|t| t.as_string())
            .collect::<Option<_>>()
            .ok_or_else(|| bad_filter("`type` must be a string or an array of strings".into()))?
    } else {
        return Err(bad_filter("`type` must be a string or an array of strings".into()));
    };
    let l = get(v, "limit")?;
    let limit = if l.is_undefined() {
        None
    } else {
        Some(whole(&l, usize::MAX as f64).ok_or_else(|| bad_filter("`limit` must be a non-negative integer".into()))?
            as usize)
    };
    Ok(Filter {
        stream: opt_string(v, "stream", &bad_filter)?,
        stream_prefix: opt_string(v, "streamPrefix", &bad_filter)?,
        types,
        key: opt_string(v, "key", &bad_filter)?,
        at: at_from_js(&get(v, "at")?)?,
        limit,
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

/// Appends one event as a JSON object (the shape of the TypeScript `LogEvent`).
pub fn push_event(out: &mut String, e: EventRef<'_>) {
    let _ = write!(out, "{{\"id\":\"{}\",\"stream\":", e.id());
    push_str(out, e.stream());
    out.push_str(",\"type\":");
    push_str(out, e.kind());
    if let Some(k) = e.key() {
        out.push_str(",\"key\":");
        push_str(out, k);
    }
    out.push_str(",\"data\":");
    out.push_str(e.data());
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
    let _ = write!(out, ",\"lamport\":{},\"time\":{}", e.lamport(), e.time());
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
pub fn events_json<'a>(events: impl IntoIterator<Item = EventRef<'a>>) -> String {
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
pub fn events_to_js<'a>(events: impl IntoIterator<Item = EventRef<'a>>) -> JsValue {
    parse(&events_json(events))
}

/// One event as a JS object.
pub fn event_to_js(e: EventRef<'_>) -> JsValue {
    let mut s = String::new();
    push_event(&mut s, e);
    parse(&s)
}

/// Any serde value as a JS value (the documents build; the core entry writes its JSON by
/// hand so that it links no serde_json serializer, docs/size.md).
#[cfg(feature = "documents")]
pub fn to_js_value<T: serde::Serialize>(v: &T) -> JsValue {
    serde_json::to_string(v).map_or(JsValue::UNDEFINED, |s| parse(&s))
}
