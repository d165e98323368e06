//! [`EventRef`]: a borrowed, read-only view of one event.
//!
//! What the log hands out ([`Log::get`](super::log::Log::get), `iter`, `events`, folds,
//! projections, conflicts): the log stores its events compactly, not as [`Event`]
//! structs, so a reader gets a small `Copy` view with accessor methods instead of a
//! reference to a struct. An owned [`Event`] (what appends return, what `receive` and the
//! codec take) gives the same view through [`Event::view`], so code that reads events is
//! written once for both. [`EventRef::to_event`] copies a view into an owned event where
//! one is really needed.

use std::fmt;

use serde::Serialize;

use super::event::{Event, EventReprRef, Extra, Meta, OrderKey};
use super::id::EventId;
use super::log::Arena;

static NO_META: Meta = Meta::new();
use super::name::Name;

/// A borrowed view of an event (see the module docs). `Copy`; compares, prints and
/// serializes exactly like the [`Event`] it stands for.
#[derive(Clone, Copy)]
pub struct EventRef<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// An owned event's fields.
    Owned(&'a Event),
    /// A log's compact record, by arena index.
    Stored(&'a Arena, u32),
}

impl<'a> From<&'a Event> for EventRef<'a> {
    #[inline]
    fn from(e: &'a Event) -> Self {
        EventRef(Repr::Owned(e))
    }
}

impl<'a> EventRef<'a> {
    /// The event at arena index `i` of `arena` (which must exist).
    #[inline]
    pub(crate) fn stored(arena: &'a Arena, i: u32) -> Self {
        EventRef(Repr::Stored(arena, i))
    }

    /// `(actor, seq)`.
    #[inline]
    pub fn id(self) -> EventId {
        match self.0 {
            Repr::Owned(e) => e.id,
            Repr::Stored(a, i) => a.id(i),
        }
    }

    /// The stream it belongs to.
    #[inline]
    pub fn stream(self) -> &'a Name {
        match self.0 {
            Repr::Owned(e) => &e.stream,
            Repr::Stored(a, i) => a.stream(i),
        }
    }

    /// Its type.
    #[inline]
    pub fn kind(self) -> &'a Name {
        match self.0 {
            Repr::Owned(e) => &e.kind,
            Repr::Stored(a, i) => a.kind(i),
        }
    }

    /// What it writes inside the stream, if anything.
    #[inline]
    pub fn key(self) -> Option<&'a Name> {
        match self.0 {
            Repr::Owned(e) => e.key.as_ref(),
            Repr::Stored(a, i) => a.key(i),
        }
    }

    /// The payload, as JSON text.
    #[inline]
    pub fn data(self) -> &'a str {
        match self.0 {
            Repr::Owned(e) => &e.data,
            Repr::Stored(a, i) => a.data(i),
        }
    }

    /// `(lamport, time)`.
    #[inline]
    fn clocks(self) -> (u64, u64) {
        match self.0 {
            Repr::Owned(e) => (e.lamport, e.time),
            Repr::Stored(a, i) => a.clocks(i),
        }
    }

    /// Lamport clock.
    #[inline]
    pub fn lamport(self) -> u64 {
        self.clocks().0
    }

    /// Hybrid-logical wall time in ms.
    #[inline]
    pub fn time(self) -> u64 {
        self.clocks().1
    }

    #[inline]
    fn extra(self) -> Option<&'a Extra> {
        match self.0 {
            Repr::Owned(e) => e.extra.as_deref(),
            Repr::Stored(a, i) => a.extra(i),
        }
    }

    /// String metadata; empty for most events.
    #[inline]
    pub fn meta(self) -> &'a Meta {
        meta_of(self.extra())
    }

    /// The caller-given idempotency key, if any.
    #[inline]
    pub fn idempotency_key(self) -> Option<&'a str> {
        self.extra().and_then(|x| x.idempotency_key.as_deref())
    }

    /// Causal dependencies not implied by the author's own previous event.
    #[inline]
    pub fn deps(self) -> &'a [EventId] {
        deps_of(self.extra())
    }

    /// Its place in the total order.
    #[inline]
    pub fn order_key(self) -> OrderKey {
        match self.0 {
            Repr::Owned(e) => e.order_key(),
            Repr::Stored(a, i) => a.order_key(i),
        }
    }

    /// The payload parsed as a `serde_json::Value` (see [`Event::data_value`]).
    pub fn data_value(self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.data())
    }

    /// An owned copy.
    pub fn to_event(self) -> Event {
        match self.0 {
            Repr::Owned(e) => e.clone(),
            Repr::Stored(a, i) => a.to_event(i),
        }
    }
}

#[inline]
fn meta_of(x: Option<&Extra>) -> &Meta {
    x.map_or(&NO_META, |x| &x.meta)
}

#[inline]
fn deps_of(x: Option<&Extra>) -> &[EventId] {
    x.map_or(&[], |x| &x.deps)
}

impl PartialEq for EventRef<'_> {
    fn eq(&self, o: &Self) -> bool {
        // Each side's clocks and side-table entry looked up once (a stored record's are
        // a branch and a binary search).
        let (x, y) = (self.extra(), o.extra());
        self.id() == o.id()
            && self.clocks() == o.clocks()
            && self.stream() == o.stream()
            && self.kind() == o.kind()
            && self.key() == o.key()
            && self.data() == o.data()
            && meta_of(x) == meta_of(y)
            && x.and_then(|x| x.idempotency_key.as_deref()) == y.and_then(|y| y.idempotency_key.as_deref())
            && deps_of(x) == deps_of(y)
    }
}

impl Eq for EventRef<'_> {}

impl PartialEq<Event> for EventRef<'_> {
    fn eq(&self, o: &Event) -> bool {
        *self == o.view()
    }
}

impl fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_event(), f)
    }
}

impl Serialize for EventRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventReprRef {
            id: self.id(),
            stream: self.stream(),
            kind: self.kind(),
            key: self.key().map(|k| &**k),
            data: self.data(),
            meta: self.meta(),
            idempotency_key: self.idempotency_key(),
            lamport: self.lamport(),
            time: self.time(),
            deps: self.deps(),
        }
        .serialize(s)
    }
}
