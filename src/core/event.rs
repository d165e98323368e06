//! The event model.
//!
//! An [`Event`] is an immutable fact. A [`Draft`] is what a caller hands to
//! [`Log::append`](super::log::Log::append): the log fills in the id, clocks and
//! causal dependencies.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::InvalidEvent;
use super::event_ref::EventRef;
use super::id::EventId;
use super::name::Name;

/// String metadata: correlation id, schema version, …
pub type Meta = BTreeMap<String, String>;

/// An immutable event.
///
/// 88 bytes inline (names are one pointer each, see [`Name`]): the fields most events have are inline; `meta`, the idempotency key
/// and the explicit dependencies (absent from almost every event) share one optional box,
/// read through [`meta`](Event::meta), [`idempotency_key`](Event::idempotency_key) and
/// [`deps`](Event::deps). Build it with [`Extra::boxed`]. (Serialized exactly as when
/// they were fields of their own.)
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "EventRepr")]
pub struct Event {
    /// `(actor, seq)`.
    pub id: EventId,
    /// The stream it belongs to, e.g. `cart:42`.
    pub stream: Name,
    /// Its type, e.g. `ItemAdded`.
    pub kind: Name,
    /// What it writes inside the stream (a field, a SKU); conflicts are per `(stream, key)`.
    pub key: Option<Name>,
    /// The payload, as JSON text (validated on entry, kept byte for byte).
    pub data: Box<str>,
    /// Lamport clock: greater than every event in its causal past.
    pub lamport: u64,
    /// Hybrid-logical wall time in ms: never less than any event in its causal past.
    pub time: u64,
    /// Metadata, idempotency key and explicit dependencies; `None` when all are empty
    /// (see [`Extra::boxed`]).
    pub extra: Option<Box<Extra>>,
}

/// The rarely used parts of an [`Event`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extra {
    /// String metadata.
    pub meta: Meta,
    /// The caller-given idempotency key, if any.
    pub idempotency_key: Option<Arc<str>>,
    /// Causal dependencies not implied by the author's own previous event.
    pub deps: Box<[EventId]>,
}

impl Extra {
    /// The box for [`Event::extra`]: `None` when all three are empty, so that equal events
    /// are equal field by field.
    pub fn boxed(meta: Meta, idempotency_key: Option<Arc<str>>, deps: Box<[EventId]>) -> Option<Box<Extra>> {
        if meta.is_empty() && idempotency_key.is_none() && deps.is_empty() {
            None
        } else {
            Some(Box::new(Extra { meta, idempotency_key, deps }))
        }
    }
}

static NO_META: Meta = Meta::new();

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.view() == o.view()
    }
}

impl Eq for Event {}

/// The serialized form of an [`Event`] (the fields it had before [`Extra`]).
#[derive(Deserialize)]
struct EventRepr {
    id: EventId,
    stream: Name,
    #[serde(rename = "type")]
    kind: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<Name>,
    data: Box<str>,
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    meta: Meta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<Arc<str>>,
    lamport: u64,
    time: u64,
    #[serde(default, skip_serializing_if = "<[EventId]>::is_empty")]
    deps: Box<[EventId]>,
}

impl From<EventRepr> for Event {
    fn from(r: EventRepr) -> Self {
        Event {
            id: r.id,
            stream: r.stream,
            kind: r.kind,
            key: r.key,
            data: r.data,
            lamport: r.lamport,
            time: r.time,
            extra: Extra::boxed(r.meta, r.idempotency_key, r.deps),
        }
    }
}

/// [`EventRepr`]'s serialized form, borrowed (no copy of the event to serialize it).
#[derive(Serialize)]
pub(crate) struct EventReprRef<'a> {
    pub id: EventId,
    pub stream: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    pub data: &'a str,
    #[serde(skip_serializing_if = "no_meta")]
    pub meta: &'a Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<&'a str>,
    pub lamport: u64,
    pub time: u64,
    #[serde(skip_serializing_if = "no_deps")]
    pub deps: &'a [EventId],
}

fn no_meta(m: &&Meta) -> bool {
    m.is_empty()
}

fn no_deps(d: &&[EventId]) -> bool {
    d.is_empty()
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

/// The deterministic total order: `(lamport, actor, seq)`.
pub type OrderKey = (u64, [u8; 16], u64);

/// Sorts events into the total order. Order keys are unique, so the unstable sort gives
/// the one exact order; a single non-generic function means the binary links one sort
/// instance for every caller (the wasm package's size, docs/size.md).
#[inline(never)]
pub fn sort_by_order(events: &mut [EventRef<'_>]) {
    super::sort::sort_by(events, |a, b| a.order_key().cmp(&b.order_key()));
}

/// Sorts arena indices into the total order of the events they point at (see
/// [`sort_by_order`]; one sort instance for every caller).
#[inline(never)]
pub fn sort_indices_by_order(indices: &mut [u32], arena: &super::log::Arena) {
    #[cfg(target_arch = "wasm32")]
    super::sort::sort_positions(indices, &|a, b| arena.sort_key(a).cmp(&arena.sort_key(b)));
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Natively: the actor compared as one `u128` (its big-endian bytes: the same
        // order), and an input already in order (local appends, most restores) recognised
        // by one pass and left alone. (Sorting on a buffer of cached keys measured slower.)
        let key = |i: u32| arena.sort_key(i);
        if indices.len() < 2 || indices.windows(2).all(|w| key(w[0]) < key(w[1])) {
            return;
        }
        indices.sort_unstable_by_key(|i| key(*i));
    }
}

impl Event {
    /// The read-only view that the log's readers take (see [`EventRef`]).
    #[inline]
    pub fn view(&self) -> EventRef<'_> {
        EventRef::from(self)
    }

    /// Its place in the total order shared by every replica.
    #[inline]
    pub fn order_key(&self) -> OrderKey {
        (self.lamport, self.id.actor.0, self.id.seq)
    }

    /// String metadata; empty for most events.
    #[inline]
    pub fn meta(&self) -> &Meta {
        self.extra.as_ref().map_or(&NO_META, |x| &x.meta)
    }

    /// The metadata, to change it on a copy of an event (an upcaster's output, say).
    pub fn meta_mut(&mut self) -> &mut Meta {
        &mut self.extra.get_or_insert_with(Default::default).meta
    }

    /// The caller-given idempotency key, if any.
    #[inline]
    pub fn idempotency_key(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|x| x.idempotency_key.as_deref())
    }

    /// Causal dependencies not implied by the author's own previous event (usually none).
    #[inline]
    pub fn deps(&self) -> &[EventId] {
        self.extra.as_ref().map_or(&[], |x| &x.deps)
    }

    /// The payload parsed as a `serde_json::Value`.
    ///
    /// The entry check accepts every RFC 8259 text, which is slightly more than
    /// `serde_json::Value` holds: a number beyond `f64` (`1e400`) or nesting deeper than
    /// serde_json's limit of 128 is valid JSON kept byte for byte, but has no `Value`. Those
    /// payloads give `Err` here instead of a panic; callers leave such an event as it is.
    pub fn data_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.data)
    }
}

/// What a caller appends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub stream: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub key: Option<String>,
    /// JSON text; `null` when empty.
    #[serde(default = "null_json")]
    pub data: String,
    #[serde(default)]
    pub meta: Meta,
    /// Caller-given idempotency key: appending a draft whose key was already appended
    /// returns the existing event.
    #[serde(default, alias = "id")]
    pub idempotency_key: Option<String>,
}

fn null_json() -> String {
    "null".into()
}

impl Draft {
    /// A draft with JSON `data` (given as a `serde_json::Value`).
    pub fn new(stream: &str, kind: &str, data: serde_json::Value) -> Self {
        Draft { stream: stream.into(), kind: kind.into(), data: data.to_string(), ..Default::default() }
    }

    pub fn key(mut self, key: &str) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn idempotency_key(mut self, k: &str) -> Self {
        self.idempotency_key = Some(k.into());
        self
    }

    pub fn meta(mut self, k: &str, v: &str) -> Self {
        self.meta.insert(k.into(), v.into());
        self
    }
}

/// Size limits, checked on every local append and every remote event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Max bytes of `data` (JSON text).
    pub max_data: usize,
    /// Max bytes of `stream`, `type`, `key`, idempotency key, and each meta key or value.
    pub max_name: usize,
    /// Max number of meta entries.
    pub max_meta_entries: usize,
    /// Max number of explicit dependencies of one event.
    pub max_deps: usize,
    /// Max events waiting in the pending set for missing dependencies.
    pub max_pending: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_data: 1 << 20, max_name: 1024, max_meta_entries: 64, max_deps: 1024, max_pending: 100_000 }
    }
}

impl Limits {
    fn name(&self, field: &'static str, s: &str, required: bool) -> Result<(), InvalidEvent> {
        if required && s.is_empty() {
            return Err(InvalidEvent::Empty { field });
        }
        if s.len() > self.max_name {
            return Err(InvalidEvent::TooLarge { field, size: s.len(), limit: self.max_name });
        }
        Ok(())
    }

    /// Checks the caller-controlled fields shared by drafts and events.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_fields(
        &self,
        stream: &str,
        kind: &str,
        key: Option<&str>,
        data: &str,
        meta: &Meta,
        ikey: Option<&str>,
        deps: usize,
    ) -> Result<(), InvalidEvent> {
        self.name("stream", stream, true)?;
        self.name("type", kind, true)?;
        if let Some(k) = key {
            self.name("key", k, false)?;
        }
        if let Some(k) = ikey {
            self.name("idempotency key", k, true)?;
        }
        if data.len() > self.max_data {
            return Err(InvalidEvent::TooLarge { field: "data", size: data.len(), limit: self.max_data });
        }
        if meta.len() > self.max_meta_entries {
            return Err(InvalidEvent::TooLarge { field: "meta", size: meta.len(), limit: self.max_meta_entries });
        }
        for (k, v) in meta {
            self.name("meta key", k, true)?;
            self.name("meta value", v, false)?;
        }
        if deps > self.max_deps {
            return Err(InvalidEvent::TooLarge { field: "deps", size: deps, limit: self.max_deps });
        }
        // Exactly what serde_json accepts (src/core/json.rs), worded without it.
        super::json::check(data).map_err(|at| InvalidEvent::BadJson(format!("not JSON at byte {at}")))?;
        Ok(())
    }
}
