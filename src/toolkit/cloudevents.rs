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

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::error::ToolkitError;
use super::text::{base64_decode, base64_encode, format_rfc3339_ms, parse_rfc3339_ms};
use crate::core::error::InvalidEvent;
use crate::core::event::{Event, Extra, Meta};
use crate::core::filter::Filter;
use crate::core::id::{ActorId, EventId};
use crate::core::log::{Log, Received};
use crate::store::{Replica, Storage};

/// How events are exported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The `source` attribute; `None`: `urn:everlog:<author actor>`.
    pub source: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    specversion: String,
    id: String,
    source: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    datacontenttype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Box<RawValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everlogactor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everlogseq: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everloglamport: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everlogdeps: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everlogkey: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everlogmeta: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    everlogidempotency: Option<String>,
}

/// One event as a CloudEvent JSON object on one line (no trailing newline).
pub fn to_cloudevent(e: &Event, opts: &ExportOptions) -> Result<String, ToolkitError> {
    let time = format_rfc3339_ms(e.time).ok_or(ToolkitError::TimeOutOfRange { id: e.id, time: e.time })?;
    let inline = !e.data.contains(['\n', '\r']);
    let data = if inline {
        // Validated JSON on entry; an event built by hand may not be.
        Some(RawValue::from_string(e.data.to_string()).map_err(bad_json)?)
    } else {
        None
    };
    let ids = |d: &[EventId]| d.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
    let wire = Wire {
        specversion: "1.0".into(),
        id: e.id.to_string(),
        source: opts.source.clone().unwrap_or_else(|| format!("urn:everlog:{}", e.id.actor)),
        kind: e.kind.to_string(),
        subject: Some(e.stream.to_string()),
        time: Some(time),
        datacontenttype: Some("application/json".into()),
        data,
        data_base64: (!inline).then(|| base64_encode(e.data.as_bytes())),
        everlogactor: Some(e.id.actor.to_string()),
        everlogseq: Some(Value::String(e.id.seq.to_string())),
        everloglamport: Some(Value::String(e.lamport.to_string())),
        everlogdeps: (!e.deps().is_empty()).then(|| ids(e.deps())),
        everlogkey: e.key.as_deref().map(str::to_owned),
        everlogmeta: (!e.meta().is_empty()).then(|| serde_json::to_string(e.meta()).unwrap_or_default()),
        everlogidempotency: e.idempotency_key().map(str::to_owned),
    };
    serde_json::to_string(&wire).map_err(bad_json)
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

fn u64_attr(v: Option<&Value>, name: &str) -> Result<u64, String> {
    match v {
        Some(Value::String(s)) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
            s.parse().map_err(|_| format!("{name} is out of range"))
        }
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| format!("{name} is not a non-negative integer")),
        Some(_) => Err(format!("{name} is not an integer")),
        None => Err(format!("{name} is missing")),
    }
}

/// One CloudEvent (one JSON object) back into an event; `Err` says why not.
pub fn from_cloudevent(line: &str) -> Result<Event, String> {
    let w: Wire = serde_json::from_str(line).map_err(|e| format!("not a CloudEvent: {e}"))?;
    if w.specversion != "1.0" {
        return Err(format!("specversion {:?} is not supported (only 1.0)", w.specversion));
    }
    let id: EventId = w.id.parse().map_err(|_| format!("id {:?} is not an everlog event id", w.id))?;
    if let Some(a) = &w.everlogactor {
        if a.parse::<ActorId>().map_err(|e| e.to_string())? != id.actor {
            return Err("everlogactor disagrees with id".into());
        }
    }
    if w.everlogseq.is_some() && u64_attr(w.everlogseq.as_ref(), "everlogseq")? != id.seq {
        return Err("everlogseq disagrees with id".into());
    }
    let lamport = u64_attr(w.everloglamport.as_ref(), "everloglamport")?;
    let time = w.time.as_deref().ok_or("time is missing")?;
    let time = parse_rfc3339_ms(time).ok_or_else(|| format!("time {time:?} is not an RFC 3339 time"))?;
    let stream = w.subject.ok_or("subject (the stream) is missing")?;
    if let Some(ct) = &w.datacontenttype {
        if ct != "application/json" && !ct.ends_with("+json") {
            return Err(format!("datacontenttype {ct:?} is not JSON"));
        }
    }
    let data = match (w.data, w.data_base64) {
        (Some(raw), None) => raw.get().to_owned(),
        (None, Some(b64)) => {
            let bytes = base64_decode(&b64).ok_or("data_base64 is not base64")?;
            String::from_utf8(bytes).map_err(|_| "data_base64 is not UTF-8 text")?
        }
        (None, None) => "null".to_owned(),
        (Some(_), Some(_)) => return Err("both data and data_base64".into()),
    };
    let meta: Meta = match &w.everlogmeta {
        Some(m) => serde_json::from_str(m).map_err(|_| "everlogmeta is not a JSON object of strings")?,
        None => Meta::new(),
    };
    let deps = match &w.everlogdeps {
        Some(d) => d.split(' ').map(|s| s.parse::<EventId>().map_err(|e| format!("everlogdeps: {e}"))).collect(),
        None => Ok(Vec::new()),
    }?;
    Ok(Event {
        id,
        stream: stream.into(),
        kind: w.kind.into(),
        key: w.everlogkey.map(Into::into),
        data: data.into_boxed_str(),
        lamport,
        time,
        extra: Extra::boxed(meta, w.everlogidempotency.map(Into::into), deps.into_boxed_slice()),
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
