//! A run: a stretch of the log, in the total order, that a fold folds in one call.
//!
//! Folding event by event through [`Fold::apply`](super::Fold::apply) is the general
//! path. A fold can instead take a whole run ([`Fold::apply_run`](super::Fold::apply_run))
//! and read per-event values from the log's column cache by arena index: the built-ins
//! do, and that is what makes them fast. The run applies the filter and the limit itself,
//! and remembers how far it got, so a projection can stop at its next checkpoint.

use super::columns::ColumnCache;
use crate::core::event_ref::EventRef;
use crate::core::filter::Filter;
use crate::core::log::{Arena, Log};

/// Events of a log to fold: arena indices in the total order, a filter, a maximum count.
pub struct Run<'a> {
    log: &'a Log,
    filter: &'a Filter,
    positions: &'a [u32],
    max: u64,
    consumed: usize,
    matched: u64,
}

impl<'a> Run<'a> {
    /// Positions are arena indices in the total order; at most `max` selected events.
    pub(crate) fn new(log: &'a Log, filter: &'a Filter, positions: &'a [u32], max: u64) -> Self {
        Run { log, filter, positions, max, consumed: 0, matched: 0 }
    }

    /// The log (also the causal context for [`Fold::apply`](super::Fold::apply)).
    pub fn log(&self) -> &'a Log {
        self.log
    }

    /// The log's column cache: per-event field values indexed by arena index (the index
    /// [`for_each`](Self::for_each) passes).
    pub fn columns(&self) -> &'a ColumnCache {
        self.log.fold_columns()
    }

    /// Is reading these columns cheaper than scanning this run's events one by one?
    /// Extracting a column scans every event it lacks (the whole log the first time), so a
    /// short run over columns not extracted yet (the events since a projection's snapshot,
    /// right after an open) is folded event by event instead, until such runs add up to a
    /// scan ([`ColumnCache::pays_off`]). Either way the result is the same.
    #[inline(never)]
    pub fn columns_pay_off(&self, numbers: &[&str], groups: &[&str]) -> bool {
        let left = self.positions.len().saturating_sub(self.consumed);
        self.columns().pays_off(self.arena(), numbers, groups, left)
    }

    /// The log's events, indexed by arena index.
    pub fn arena(&self) -> &'a Arena {
        self.log.arena_events()
    }

    /// Calls `f(arena_index, event)` for each remaining selected event, in the total order,
    /// stopping after the run's maximum. A second call continues where the first stopped.
    #[inline]
    pub fn for_each(&mut self, mut f: impl FnMut(usize, EventRef<'a>)) {
        if self.matched >= self.max {
            return;
        }
        let arena = self.log.arena_events();
        let filter = self.filter;
        let rest = self.positions.get(self.consumed..).unwrap_or_default();
        let mut consumed = 0;
        for &i in rest {
            consumed += 1;
            let e = arena.at(i as usize);
            if filter.matches(e) {
                f(i as usize, e);
                self.matched += 1;
                if self.matched >= self.max {
                    break;
                }
            }
        }
        self.consumed += consumed;
    }

    /// Has every position been looked at, or the maximum been reached?
    pub fn is_done(&self) -> bool {
        self.matched >= self.max || self.consumed >= self.positions.len()
    }

    /// Positions looked at so far.
    pub(crate) fn consumed(&self) -> usize {
        self.consumed
    }

    /// Events folded so far.
    pub(crate) fn matched(&self) -> u64 {
        self.matched
    }
}
