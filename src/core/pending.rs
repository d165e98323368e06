//! The pending set: remote events that arrived before their causal dependencies.
//!
//! Each waiting event is filed under the one dependency it waits for first. When that
//! event is applied, its waiters are checked again (and filed under their next missing
//! dependency, or applied). The set is bounded by [`Limits::max_pending`]
//! (super::event::Limits); an event that does not fit is dropped and counted, which loses
//! nothing: the sender still has it and the log's version says it is missing, so the next
//! sync asks for it again.

use super::hash::Map as HashMap;

use super::event::Event;
use super::id::EventId;

#[derive(Default, Clone, Debug)]
pub(crate) struct Pending {
    /// Each waiting event and the id it waits for.
    events: HashMap<EventId, (Event, EventId)>,
    waiting_on: HashMap<EventId, Vec<EventId>>,
    /// Events dropped because the set was full, since the log was opened.
    pub dropped: u64,
}

/// A read-only view of the pending set, for inspection.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingInfo {
    /// Waiting events and the dependency each waits for.
    pub waiting: Vec<(EventId, EventId)>,
    /// Events dropped because the set was full (they will be asked for again).
    pub dropped: u64,
}

impl Pending {
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn get(&self, id: &EventId) -> Option<&Event> {
        self.events.get(id).map(|(e, _)| e)
    }

    /// Files `e` as waiting for `missing`. Returns false when it was already there.
    pub fn insert(&mut self, e: Event, missing: EventId) -> bool {
        if self.events.contains_key(&e.id) {
            return false;
        }
        self.waiting_on.entry(missing).or_default().push(e.id);
        self.events.insert(e.id, (e, missing));
        true
    }

    /// Removes one event (applied, or to be re-filed).
    pub fn remove(&mut self, id: &EventId) -> Option<Event> {
        let (e, missing) = self.events.remove(id)?;
        if let Some(list) = self.waiting_on.get_mut(&missing) {
            list.retain(|w| w != id);
            if list.is_empty() {
                self.waiting_on.remove(&missing);
            }
        }
        Some(e)
    }

    /// The events waiting for `id`.
    pub fn waiting_for<'a>(&'a self, id: &EventId) -> impl Iterator<Item = &'a Event> + 'a {
        self.waiting_on.get(id).into_iter().flatten().filter_map(|w| self.get(w))
    }

    pub fn info(&self) -> PendingInfo {
        let mut waiting: Vec<(EventId, EventId)> = self.events.iter().map(|(id, (_, m))| (*id, *m)).collect();
        crate::core::sort::sort_by(&mut waiting, Ord::cmp);
        PendingInfo { waiting, dropped: self.dropped }
    }

    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.values().map(|(e, _)| e)
    }
}
