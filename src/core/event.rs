//! The event model.
//!
//! An [`Event`] is an immutable fact. A [`Draft`] is what a caller hands to
//! [`Log::append`](super::log::Log::append): the log fills in the id, clocks and
//! causal dependencies.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::InvalidEvent;
use super::id::EventId;

/// String metadata: correlation id, schema version, …
pub type Meta = BTreeMap<String, String>;

/// An immutable event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// `(actor, seq)`.
    pub id: EventId,
    /// The stream it belongs to, e.g. `cart:42`.
    pub stream: Arc<str>,
    /// Its type, e.g. `ItemAdded`.
    #[serde(rename = "type")]
    pub kind: Arc<str>,
    /// What it writes inside the stream (a field, a SKU); conflicts are per `(stream, key)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Arc<str>>,
    /// The payload, as JSON text (validated on entry, kept byte for byte).
    pub data: Box<str>,
    /// String metadata; empty for most events.
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    /// The caller-given idempotency key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<Arc<str>>,
    /// Lamport clock: greater than every event in its causal past.
    pub lamport: u64,
    /// Hybrid-logical wall time in ms: never less than any event in its causal past.
    pub time: u64,
    /// Causal dependencies not implied by the author's own previous event.
    #[serde(default, skip_serializing_if = "<[EventId]>::is_empty")]
    pub deps: Box<[EventId]>,
}

/// The deterministic total order: `(lamport, actor, seq)`.
pub type OrderKey = (u64, [u8; 16], u64);

/// Sorts events into the total order. Order keys are unique, so the unstable sort gives
/// the one exact order; a single non-generic function means the binary links one sort
/// instance for every caller (the wasm package's size, docs/size.md).
#[inline(never)]
pub fn sort_by_order(events: &mut [&Event]) {
    super::sort::sort_by(events, |a, b| a.order_key().cmp(&b.order_key()));
}

/// Sorts arena indices into the total order of the events they point at (see
/// [`sort_by_order`]; one sort instance for every caller).
#[inline(never)]
pub fn sort_indices_by_order(indices: &mut [u32], arena: &[Event]) {
    #[cfg(target_arch = "wasm32")]
    super::sort::sort_positions(indices, &|a, b| arena[a as usize].order_key().cmp(&arena[b as usize].order_key()));
    #[cfg(not(target_arch = "wasm32"))]
    indices.sort_unstable_by_key(|i| arena[*i as usize].order_key());
}

impl Event {
    /// Its place in the total order shared by every replica.
    #[inline]
    pub fn order_key(&self) -> OrderKey {
        (self.lamport, self.id.actor.0, self.id.seq)
    }

    /// The payload parsed as JSON.
    pub fn data_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).expect("event data is validated JSON on entry")
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
        serde_json::from_str::<serde::de::IgnoredAny>(data).map_err(|e| InvalidEvent::BadJson(e.to_string()))?;
        Ok(())
    }
}
