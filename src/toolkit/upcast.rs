//! Schema evolution by upcasting: stored events are never rewritten; readers see them in
//! the newest shape.
//!
//! An event's schema version is its meta `"schema"` (a decimal number; absent: 1). An
//! upcaster registered for `(type, v)` turns the data (and possibly the type) of a
//! version-`v` event into version `v + 1`; [`Upcasters::upcast`] chains them until no
//! upcaster applies, and sets meta `"schema"` of the result to the version reached. The
//! chain ends: every step raises the version, and there are finitely many upcasters.
//!
//! [`Upcasted`] wraps any [`Fold`] so it folds the newest shapes; consumers take the
//! upcasters in [`Consumer::next_batch`](super::Consumer::next_batch). Note that a
//! [`Filter`](crate::core::Filter)'s type condition matches the *stored* type: when an
//! upcaster renames a type, select the old and the new name (or filter inside the fold).
//!
//! Upcasters are plain `Fn` boxes, not `Send`: a binding may wrap a JavaScript function.
//! They must be pure (a fold is replayed and must give the same state every time); a
//! binding whose function throws must decide what to return (e.g. the input unchanged).

use std::fmt;

use crate::core::event::Event;
use crate::core::event_ref::EventRef;
use crate::core::fold::{Causality, Fold};

/// The meta key holding an event's schema version.
pub const SCHEMA_META_KEY: &str = "schema";

/// What an upcaster transforms: an event's type and its data.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub kind: String,
    pub data: serde_json::Value,
}

/// A [`Shape`] with its data as JSON text: what upcasters are stored as. A binding whose
/// functions take and give JSON text (the browser's, through `JSON.parse`/`stringify`)
/// registers them with [`Upcasters::register_text`] and links no `serde_json::Value`
/// parser (the package's size, docs/size.md).
#[derive(Clone, Debug, PartialEq)]
pub struct TextShape {
    pub kind: String,
    /// One JSON value.
    pub data: String,
}

/// `None`: the event cannot be upcast (its data has no `Value`) and is seen as stored.
type Upcaster = Box<dyn Fn(TextShape) -> Option<TextShape>>;

/// Upcasters by `(type, from version)`: a short list searched in order (an app registers
/// a handful; a hash map per key type costs the wasm package several KB, docs/size.md).
/// Most events' types have none, and are found so without allocating.
#[derive(Default)]
pub struct Upcasters {
    by_version: Vec<(String, u32, Upcaster)>,
}

impl fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<_> = self.by_version.iter().map(|(k, v, _)| (k, v)).collect();
        keys.sort();
        f.debug_struct("Upcasters").field("registered", &keys).finish()
    }
}

/// The schema version of an event: meta `"schema"`, 1 when absent or not a number ≥ 1.
pub fn schema_version(e: EventRef<'_>) -> u32 {
    e.meta().get(SCHEMA_META_KEY).and_then(|v| v.parse::<u32>().ok()).filter(|v| *v >= 1).unwrap_or(1)
}

impl Upcasters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the upcaster from version `from` of `kind` to version `from + 1`
    /// (replacing any earlier one for the same pair).
    pub fn register(&mut self, kind: &str, from: u32, f: impl Fn(Shape) -> Shape + 'static) -> &mut Self {
        // A payload valid as JSON text but without a `Value` (see `Event::data_value`)
        // cannot be handed to `f`: the event is seen as stored.
        self.register_text(kind, from, move |t| {
            let s = f(Shape { kind: t.kind, data: serde_json::from_str(&t.data).ok()? });
            Some(TextShape { kind: s.kind, data: s.data.to_string() })
        })
    }

    /// [`register`](Self::register) for an upcaster of JSON text; it must return one JSON
    /// value as `data`, or `None` to leave the event as stored.
    pub fn register_text(
        &mut self,
        kind: &str,
        from: u32,
        f: impl Fn(TextShape) -> Option<TextShape> + 'static,
    ) -> &mut Self {
        let f: Upcaster = Box::new(f);
        match self.by_version.iter_mut().find(|(k, v, _)| k == kind && *v == from) {
            Some(slot) => slot.2 = f,
            None => self.by_version.push((kind.to_owned(), from, f)),
        }
        self
    }

    fn get(&self, kind: &str, from: u32) -> Option<&Upcaster> {
        self.by_version.iter().find(|(k, v, _)| k == kind && *v == from).map(|(_, _, f)| f)
    }

    pub fn is_empty(&self) -> bool {
        self.by_version.is_empty()
    }

    /// The event in its newest shape: `None` when no upcaster applies (the event is
    /// unchanged), else the upcast copy.
    pub fn upcast(&self, e: EventRef<'_>) -> Option<Event> {
        let mut version = schema_version(e);
        self.get(e.kind(), version)?;
        let mut shape = TextShape { kind: e.kind().to_string(), data: e.data().to_string() };
        while let Some(f) = self.get(&shape.kind, version) {
            shape = f(shape)?;
            version = version.saturating_add(1);
            if version == u32::MAX {
                break;
            }
        }
        let mut out = e.to_event();
        if *out.kind != *shape.kind {
            out.kind = shape.kind.into();
        }
        out.data = shape.data.into_boxed_str();
        out.meta_mut().insert(SCHEMA_META_KEY.to_owned(), version.to_string());
        Some(out)
    }
}

/// A fold that sees every event in its newest shape.
pub struct Upcasted<'u, F> {
    pub inner: F,
    pub upcasters: &'u Upcasters,
}

impl<'u, F> Upcasted<'u, F> {
    pub fn new(inner: F, upcasters: &'u Upcasters) -> Self {
        Upcasted { inner, upcasters }
    }
}

impl<F: Fold> Fold for Upcasted<'_, F> {
    type State = F::State;

    fn init(&self) -> Self::State {
        self.inner.init()
    }

    // The default `apply_run` (event by event through `apply`) is kept on purpose: the
    // inner fold's fast path reads columns extracted from the stored, not upcast, events.
    fn apply(&self, state: &mut Self::State, event: EventRef<'_>, causal: &dyn Causality) {
        let up = self.upcasters.upcast(event);
        self.inner.apply(state, up.as_ref().map_or(event, Event::view), causal);
    }
}
