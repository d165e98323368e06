//! Replaying a log from its own storage ([`Log::restore`]): the cold-open path.
//!
//! Stored events were fully validated when they were first appended or received, and
//! storage persisted them in a causal order. Replaying them through
//! [`Log::receive`](Log::receive) would validate every field again and plan a causal
//! delivery with hash maps over the whole batch, which is most of a cold open's cost.
//! `restore` keeps only the checks that protect the log's structure (ids without gaps or
//! repeats, dependencies applied, clocks consistent with causality) and applies each event
//! in the order given, so a damaged or reordered store is still refused rather than
//! turned into an inconsistent log. It trusts what the earlier validation guaranteed about
//! the fields themselves (size limits, valid JSON).

use super::{Log, Received};
use crate::core::error::{Error, InvalidEvent, Result, StorageError};
use crate::core::event::Event;
use crate::core::id::EventId;

impl Log {
    /// Applies events read back from this log's storage, in the order given (a causal
    /// order: every event after its dependencies and its author's previous event). An
    /// exact repeat of an applied event is skipped (several tabs sharing one store may each
    /// persist the same received event). Returns the number of events applied. Only for an
    /// empty log (a fresh open); on any error the log is left empty.
    ///
    /// Takes any iterator, so that a caller can decode stored batches one at a time as they
    /// are applied instead of holding every decoded event at once (a cold open).
    pub fn restore(&mut self, events: impl IntoIterator<Item = Event>) -> Result<usize> {
        if !self.is_empty() || self.pending_events().next().is_some() {
            return Err(Error::Storage(StorageError::new(
                "InvalidStateError",
                "restore replays storage into an empty log only",
            )));
        }
        // Sized once when the caller knows how many events it replays (no doubling slack;
        // the arena grows by fixed chunks anyway).
        let events = events.into_iter();
        self.order.reserve_exact(events.size_hint().0);
        for e in events {
            match self.check_restorable(&e) {
                Ok(true) => {
                    self.apply_unchecked(&e);
                }
                Ok(false) => {}
                Err(err) => {
                    *self = Log::with_limits(self.actor(), self.limits().clone());
                    return Err(err.into());
                }
            }
        }
        self.finish_merge(0, &mut Received::default());
        Ok(self.len())
    }

    /// `Ok(true)`: apply it; `Ok(false)`: an exact repeat, skip it.
    fn check_restorable(&self, e: &Event) -> std::result::Result<bool, InvalidEvent> {
        let have = self.version().get(&e.id.actor);
        if e.id.seq <= have {
            return match self.get(&e.id) {
                Some(existing) if existing == *e => Ok(false),
                _ => Err(InvalidEvent::Equivocation(e.id)),
            };
        }
        if e.id.seq != have + 1 {
            return Err(InvalidEvent::BadDependency { id: e.id, dep: EventId::new(e.id.actor, e.id.seq - 1) });
        }
        if e.deps().len() > self.limits().max_deps {
            return Err(InvalidEvent::TooLarge { field: "deps", size: e.deps().len(), limit: self.limits().max_deps });
        }
        for d in e.deps() {
            if d.seq == 0 || d.actor == e.id.actor || !self.version().includes(d) {
                return Err(InvalidEvent::BadDependency { id: e.id, dep: *d });
            }
        }
        self.check_clocks(e, &|id| self.clocks_of(id))?;
        Ok(true)
    }
}
