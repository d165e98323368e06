//! The pending set: remote events that arrived before their causal dependencies.
//!
//! Each waiting event is filed under the one dependency it waits for first. When that
//! event is applied, its waiters are checked again (and filed under their next missing
//! dependency, or applied). The set is bounded by [`Limits::max_pending`]
//! (super::event::Limits); an event that does not fit is dropped and counted, which loses
//! nothing: the sender still has it and the log's version says it is missing, so the next
//! sync asks for it again.

use std::collections::HashMap;

use super::event::Event;
use super::id::EventId;

#[derive(Default, Clone, Debug)]
pub(crate) struct Pending {
    events: HashMap<EventId, Event>,
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
        self.events.get(id)
    }

    /// Files `e` as waiting for `missing`. Returns false when it was already there.
    pub fn insert(&mut self, e: Event, missing: EventId) -> bool {
        if self.events.contains_key(&e.id) {
            return false;
        }
        self.waiting_on.entry(missing).or_default().push(e.id);
        self.events.insert(e.id, e);
        true
    }

    /// Removes and returns the events that were waiting for `applied`.
    pub fn release(&mut self, applied: &EventId) -> Vec<Event> {
        match self.waiting_on.remove(applied) {
            Some(ids) => ids.iter().filter_map(|id| self.events.remove(id)).collect(),
            None => Vec::new(),
        }
    }

    pub fn info(&self) -> PendingInfo {
        let mut waiting: Vec<(EventId, EventId)> =
            self.waiting_on.iter().flat_map(|(dep, ids)| ids.iter().map(move |id| (*id, *dep))).collect();
        waiting.sort();
        PendingInfo { waiting, dropped: self.dropped }
    }

    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.values()
    }
}
