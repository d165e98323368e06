//! Export and import as CloudEvents 1.0 in JSON Lines (one JSON event per line).
//!
//! Each event becomes a structured-mode CloudEvent (JSON event format):
//!
//! | attribute            | from                                                     |
//! |----------------------|----------------------------------------------------------|
//! | `specversion`        | `"1.0"`                                                  |
//! | `id`                 | the event id, `"<seq>@<actor>"` (unique per source too)  |
//! | `source`             | [`ExportOptions::source`], default `urn:everlog:<actor>` |
//! | `type`               | the event type                                           |
//! | `subject`            | the stream                                               |
//! | `time`               | hybrid-logical time, RFC 3339 UTC with milliseconds      |
//! | `datacontenttype`    | `"application/json"`                                     |
//! | `data`               | the payload, byte for byte                               |
//! | `data_base64`        | instead of `data` when the payload text holds a line break (JSON Lines forbids it) |
//! | `everlogactor`       | author actor (32 hex digits)                             |
//! | `everlogseq`         | seq, decimal string                                      |
//! | `everloglamport`     | Lamport clock, decimal string                            |
//! | `everlogdeps`        | explicit dependencies, space-separated ids (absent: none)|
//! | `everlogkey`         | the key (absent: none)                                   |
//! | `everlogmeta`        | meta as a JSON object in a string (absent: empty)        |
//! | `everlogidempotency` | the idempotency key (absent: none)                       |
//!
//! Integers travel as strings because CloudEvents integers are 32-bit; import takes a
//! string or a JSON number. Extension names are lowercase alphanumeric as the spec asks.
//! Unknown attributes are ignored on import.
//!
//! Import parses every line first: a malformed line is a [`ToolkitError::Import`] with its
//! 1-based number, and nothing is changed. The events are then merged with
//! [`Log::receive`], exactly like a sync: validated (ids, clocks, causality, sizes),
//! duplicates skipped, events whose dependencies are missing kept pending. An export of a
//! whole log imported into an empty log gives the same log (same `encode_log` bytes). A
//! filtered export is not causally closed unless the filter makes it so (`at`): its
//! events wait in the pending set until the rest arrives.

use std::fmt::Write as _;

use serde_json::value::RawValue;

use super::error::ToolkitError;
use super::text::{base64_decode, base64_encode, format_rfc3339_ms, parse_rfc3339_ms, MAX_RFC3339_MS};
use crate::core::error::InvalidEvent;
use crate::core::event::{Event, Extra, Meta};
use crate::core::event_ref::EventRef;
use crate::core::filter::Filter;
use crate::core::fold::scan;
use crate::core::id::{ActorId, EventId};
use crate::core::json;
use crate::core::log::{Log, Received};
use crate::store::{Replica, Storage};

/// How events are exported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The `source` attribute; `None`: `urn:everlog:<author actor>`.
    pub source: Option<String>,
}

/// A CloudEvent's attributes as read on import: (name, raw JSON text of the value), in
/// line order. Read by hand with [`scan`] rather than through serde: a derived or
/// hand-written serde reader was the largest piece of the toolkit in the wasm build, and
/// its typed errors link float formatting (docs/size.md); `data` must stay its exact text
/// anyway. A repeated attribute is refused, as a derived reader would.
struct Wire<'a>(Vec<(String, &'a str)>);

/// Is `text` one JSON value? (The check of event payloads, `Limits::check`.)
fn well_formed(text: &str) -> bool {
    json::is_json(text)
}

impl<'a> Wire<'a> {
    fn parse(line: &'a str) -> Result<Self, String> {
        let members = well_formed(line).then(|| scan::members(line)).flatten();
        let members = members.ok_or("not a CloudEvent: not a JSON object")?;
        let mut out: Vec<(String, &'a str)> = Vec::with_capacity(members.len());
        for (k, v) in members {
            let k = scan::unescape(k).ok_or("not a CloudEvent: bad attribute name")?;
            if out.iter().any(|(o, _)| *o == k) {
                return Err(format!("not a CloudEvent: duplicate field `{k}`"));
            }
            out.push((k, v));
        }
        Ok(Wire(out))
    }

    /// The attribute's JSON text; `None` when absent or `null` (like an `Option` field).
    fn raw(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| *v).filter(|v| *v != "null")
    }

    fn string(&self, name: &str) -> Result<Option<String>, String> {
        self.raw(name)
            .map(|v| {
                scan::string(v).ok_or_else(|| format!("not a CloudEvent: {name}: invalid type: {v}, expected a string"))
            })
            .transpose()
    }

    fn required(&self, name: &str) -> Result<String, String> {
        self.string(name)?.ok_or_else(|| format!("not a CloudEvent: missing field `{name}`"))
    }
}

/// `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":");
    json_str(out, value);
}

/// One event as a CloudEvent JSON object on one line (no trailing newline).
pub fn to_cloudevent(e: EventRef<'_>, opts: &ExportOptions) -> Result<String, ToolkitError> {
    let time = format_rfc3339_ms(e.time()).ok_or(ToolkitError::TimeOutOfRange { id: e.id(), time: e.time() })?;
    // Validated JSON on entry; an event built by hand may not be.
    serde_json::from_str::<Box<RawValue>>(e.data()).map_err(bad_json)?;
    let id = e.id().to_string();
    let mut out = String::with_capacity(e.data().len() + 256);
    out.push_str("{\"specversion\":\"1.0\"");
    attr(&mut out, "id", &id);
    match &opts.source {
        Some(s) => attr(&mut out, "source", s),
        None => attr(&mut out, "source", &format!("urn:everlog:{}", e.id().actor)),
    }
    attr(&mut out, "type", e.kind());
    attr(&mut out, "subject", e.stream());
    attr(&mut out, "time", &time);
    attr(&mut out, "datacontenttype", "application/json");
    if e.data().contains(['\n', '\r']) {
        attr(&mut out, "data_base64", &base64_encode(e.data().as_bytes()));
    } else {
        out.push_str(",\"data\":");
        out.push_str(e.data());
    }
    attr(&mut out, "everlogactor", &e.id().actor.to_string());
    attr(&mut out, "everlogseq", &e.id().seq.to_string());
    attr(&mut out, "everloglamport", &e.lamport().to_string());
    if !e.deps().is_empty() {
        let mut deps = String::new();
        for (i, d) in e.deps().iter().enumerate() {
            let _ = write!(deps, "{}{d}", if i > 0 { " " } else { "" });
        }
        attr(&mut out, "everlogdeps", &deps);
    }
    if let Some(k) = &e.key() {
        attr(&mut out, "everlogkey", k);
    }
    if !e.meta().is_empty() {
        let mut meta = String::from("{");
        for (i, (k, v)) in e.meta().iter().enumerate() {
            if i > 0 {
                meta.push(',');
            }
            json_str(&mut meta, k);
            meta.push(':');
            json_str(&mut meta, v);
        }
        meta.push('}');
        attr(&mut out, "everlogmeta", &meta);
    }
    if let Some(k) = e.idempotency_key() {
        attr(&mut out, "everlogidempotency", k);
    }
    out.push('}');
    Ok(out)
}

/// Whether `e` can be exported (its time fits RFC 3339): the check of [`to_cloudevent`],
/// for the browser build, which writes the same lines in JavaScript (js/cloudevents.js).
pub fn check_exportable(e: EventRef<'_>) -> Result<(), ToolkitError> {
    if e.time() > MAX_RFC3339_MS {
        return Err(ToolkitError::TimeOutOfRange { id: e.id(), time: e.time() });
    }
    Ok(())
}

fn bad_json(e: serde_json::Error) -> ToolkitError {
    ToolkitError::Log(InvalidEvent::BadJson(e.to_string()).into())
}

/// The events `filter` selects, in the total order, as JSON Lines (each line ends in `\n`).
pub fn export_cloudevents(log: &Log, filter: &Filter, opts: &ExportOptions) -> Result<String, ToolkitError> {
    let mut out = String::new();
    for e in log.events(filter) {
        out.push_str(&to_cloudevent(e, opts)?);
        out.push('\n');
    }
    Ok(out)
}

/// An integer attribute: a decimal string (as exported) or a JSON number.
fn u64_attr(raw: Option<&str>, name: &str) -> Result<u64, String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match raw {
        Some(v) if v.starts_with('"') => match scan::string(v) {
            Some(s) if digits(&s) => s.parse().map_err(|_| format!("{name} is out of range")),
            _ => Err(format!("{name} is not an integer")),
        },
        // A JSON number: only a non-negative integer that fits (as serde_json's `as_u64`).
        Some(v) if digits(v) => v.parse().map_err(|_| format!("{name} is not a non-negative integer")),
        Some(v) if v.starts_with('-') || v.bytes().next().is_some_and(|b| b.is_ascii_digit()) => {
            Err(format!("{name} is not a non-negative integer"))
        }
        Some(_) => Err(format!("{name} is not an integer")),
        None => Err(format!("{name} is missing")),
    }
}

/// `everlogmeta`'s text: a JSON object of strings (a repeated key: the last wins).
fn meta_attr(text: &str) -> Option<Meta> {
    let mut meta = Meta::new();
    for (k, v) in well_formed(text).then(|| scan::members(text)).flatten()? {
        meta.insert(scan::unescape(k)?, scan::string(v)?);
    }
    Some(meta)
}

/// One CloudEvent (one JSON object) back into an event; `Err` says why not.
pub fn from_cloudevent(line: &str) -> Result<Event, String> {
    let w = Wire::parse(line)?;
    let specversion = w.required("specversion")?;
    let wid = w.required("id")?;
    w.required("source")?; // required by the spec, not kept by the log
    let kind = w.required("type")?;
    if specversion != "1.0" {
        return Err(format!("specversion {specversion:?} is not supported (only 1.0)"));
    }
    let id: EventId = wid.parse().map_err(|_| format!("id {wid:?} is not an everlog event id"))?;
    if let Some(a) = &w.string("everlogactor")? {
        if a.parse::<ActorId>().map_err(|e| e.to_string())? != id.actor {
            return Err("everlogactor disagrees with id".into());
        }
    }
    let seq = w.raw("everlogseq");
    if seq.is_some() && u64_attr(seq, "everlogseq")? != id.seq {
        return Err("everlogseq disagrees with id".into());
    }
    let lamport = u64_attr(w.raw("everloglamport"), "everloglamport")?;
    let time = w.string("time")?;
    let time = time.as_deref().ok_or("time is missing")?;
    let time = parse_rfc3339_ms(time).ok_or_else(|| format!("time {time:?} is not an RFC 3339 time"))?;
    let stream = w.string("subject")?.ok_or("subject (the stream) is missing")?;
    if let Some(ct) = &w.string("datacontenttype")? {
        if ct != "application/json" && !ct.ends_with("+json") {
            return Err(format!("datacontenttype {ct:?} is not JSON"));
        }
    }
    let data = match (w.raw("data"), w.string("data_base64")?) {
        (Some(raw), None) => raw.to_owned(),
        (None, Some(b64)) => {
            let bytes = base64_decode(&b64).ok_or("data_base64 is not base64")?;
            String::from_utf8(bytes).map_err(|_| "data_base64 is not UTF-8 text")?
        }
        (None, None) => "null".to_owned(),
        (Some(_), Some(_)) => return Err("both data and data_base64".into()),
    };
    let meta: Meta = match &w.string("everlogmeta")? {
        Some(m) => meta_attr(m).ok_or("everlogmeta is not a JSON object of strings")?,
        None => Meta::new(),
    };
    let deps = match &w.string("everlogdeps")? {
        Some(d) => d.split(' ').map(|s| s.parse::<EventId>().map_err(|e| format!("everlogdeps: {e}"))).collect(),
        None => Ok(Vec::new()),
    }?;
    Ok(Event {
        id,
        stream: stream.into(),
        kind: kind.into(),
        key: w.string("everlogkey")?.map(Into::into),
        data: data.into_boxed_str(),
        lamport,
        time,
        extra: Extra::boxed(meta, w.string("everlogidempotency")?.map(Into::into), deps.into_boxed_slice()),
    })
}

/// Parses JSON Lines (blank lines skipped). The first malformed line is the error.
pub fn parse_cloudevents(text: &str) -> Result<Vec<Event>, ToolkitError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(from_cloudevent(line).map_err(|reason| ToolkitError::Import { line: i + 1, reason })?);
    }
    Ok(out)
}

/// Parses `text` and merges its events into `log` like a sync. On any error nothing changes.
pub fn import_cloudevents(log: &mut Log, text: &str) -> Result<Received, ToolkitError> {
    let events = parse_cloudevents(text)?;
    if events.is_empty() {
        return Ok(Received::default());
    }
    Ok(log.receive(events)?)
}

/// [`import_cloudevents`] through a replica: what applies is persisted first.
pub async fn import_cloudevents_replica<S: Storage>(
    replica: &mut Replica<S>,
    text: &str,
) -> Result<Received, ToolkitError> {
    let events = parse_cloudevents(text)?;
    if events.is_empty() {
        return Ok(Received::default());
    }
    Ok(replica.receive(events).await?)
}
