//! Live projections: a fold kept equal to a fold from scratch as the log grows.
//!
//! A projection remembers how far it has read: the order key of the last event it
//! considered and how many log events sorted at or before it then (`seen`). Local appends
//! always land at the end of the total order, so catching up is applying what follows.
//! A merge may insert events *earlier* in the order (a replica that was offline); then
//! the state is wrong from that point on, and the projection restores a **checkpoint**
//! taken before it and replays from there.
//!
//! Detecting an early insertion needs no help from the caller: the log only grows, so if
//! the number of events at or before a remembered key is still the one remembered,
//! nothing was inserted before it ([`Projection::update`]). Validity is monotone along the
//! checkpoints, so the latest valid one is found by binary search. A caller that knows
//! which events are new can say so ([`Projection::update_with`]): then an early event the
//! filter does not select costs no rewind.
//!
//! Checkpoints are state copies taken every `checkpoint_every` selected events. At most
//! `max_checkpoints` are kept: when full, every other one is dropped and the interval
//! doubles, so they stay spread over the whole history (a rewind to `n` events back
//! replays at most about `max(n, interval)` events).

use super::{Fold, StateCodec};
use crate::core::error::Error;
use crate::core::event::{Event, OrderKey};
use crate::core::event_ref::EventRef;
use crate::core::filter::Filter;
use crate::core::log::Log;

use super::run::Run;
use super::snapshot::Snapshot;

/// How a projection checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectionOptions {
    /// Take a checkpoint every this many selected events (at least 1).
    pub checkpoint_every: usize,
    /// Keep at most this many checkpoints (at least 1).
    pub max_checkpoints: usize,
}

impl Default for ProjectionOptions {
    fn default() -> Self {
        ProjectionOptions { checkpoint_every: 1024, max_checkpoints: 16 }
    }
}

/// How far a state has read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Cursor {
    /// The order key of the last event considered; `None` before the first.
    pub key: Option<OrderKey>,
    /// How many log events sorted at or before `key` when it was read.
    pub seen: usize,
    /// How many events were folded in (for `filter.limit`).
    pub matched: u64,
}

impl Cursor {
    /// Is nothing inserted at or before `key` since it was read?
    fn valid(&self, log: &Log) -> bool {
        match &self.key {
            None => true,
            Some(k) => log.position_of(k) + 1 == self.seen,
        }
    }
}

#[derive(Clone, Debug)]
struct Checkpoint<S> {
    cursor: Cursor,
    state: S,
}

/// What one update did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateReport {
    /// Events folded in (replayed ones included).
    pub applied: usize,
    /// The state was rewound (to a checkpoint or to the start) because of an early insert.
    pub rewound: bool,
}

/// A fold kept up to date incrementally. `state()` always equals
/// `log.fold(fold, filter)` after an update with that log.
#[derive(Clone, Debug)]
pub struct Projection<F: Fold> {
    fold: F,
    filter: Filter,
    opts: ProjectionOptions,
    state: F::State,
    cursor: Cursor,
    checkpoints: Vec<Checkpoint<F::State>>,
    every: u64,
}

impl<F: Fold> Projection<F> {
    /// A projection that has read nothing yet (call [`update`](Self::update)).
    pub fn new(fold: F, filter: Filter, opts: ProjectionOptions) -> Self {
        let state = fold.init();
        let every = opts.checkpoint_every.max(1) as u64;
        Projection { fold, filter, opts, state, cursor: Cursor::default(), checkpoints: Vec::new(), every }
    }

    /// A projection caught up with `log`.
    pub fn open(log: &Log, fold: F, filter: Filter, opts: ProjectionOptions) -> Self {
        let mut p = Self::new(fold, filter, opts);
        p.update(log);
        p
    }

    pub fn state(&self) -> &F::State {
        &self.state
    }

    pub fn fold(&self) -> &F {
        &self.fold
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The order key of the last event read (`None` before the first).
    pub fn position(&self) -> Option<OrderKey> {
        self.cursor.key
    }

    /// Number of checkpoints held.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Catches up with `log`, whatever happened to it since the last update (appends,
    /// merges, both). Must be given the same log (or a later state of it) every time.
    pub fn update(&mut self, log: &Log) -> UpdateReport {
        let mut rewound = false;
        if !self.cursor.valid(log) {
            // Something landed at or before our position: back to the latest checkpoint
            // nothing landed before (validity is monotone along the checkpoints).
            let keep = self.checkpoints.partition_point(|c| c.cursor.valid(log));
            self.rewind_to(keep);
            rewound = true;
        }
        UpdateReport { applied: self.replay(log), rewound }
    }

    /// Catches up with `log` given **every** event applied to it since the last update
    /// (the events a local append returned, [`Received::applied`](crate::core::log::Received)
    /// of a merge). Cheaper than [`update`](Self::update) when a merge lands early in the
    /// order but the filter selects none of the early events.
    pub fn update_with(&mut self, log: &Log, new: &[Event]) -> UpdateReport {
        let earliest = new.iter().map(Event::view).filter(|e| self.filter.matches(*e)).map(EventRef::order_key).min();
        let mut rewound = false;
        if let (Some(m), Some(pos)) = (earliest, self.cursor.key) {
            if m <= pos {
                let keep = self.checkpoints.partition_point(|c| c.cursor.key.is_some_and(|k| k < m));
                self.rewind_to(keep);
                rewound = true;
            }
        }
        // Unselected events may have landed before what we remember: recount positions.
        for c in self.checkpoints.iter_mut().map(|c| &mut c.cursor).chain(std::iter::once(&mut self.cursor)) {
            if let Some(k) = &c.key {
                c.seen = log.position_of(k) + 1;
            }
        }
        UpdateReport { applied: self.replay(log), rewound }
    }

    /// Keeps the first `keep` checkpoints and restores the last of them (or the start).
    fn rewind_to(&mut self, keep: usize) {
        self.checkpoints.truncate(keep);
        match self.checkpoints.last() {
            Some(c) => {
                self.state = c.state.clone();
                self.cursor = c.cursor;
            }
            None => {
                self.state = self.fold.init();
                self.cursor = Cursor::default();
            }
        }
    }

    /// Folds in every event after the cursor (which must be valid), in runs that end at
    /// each checkpoint.
    fn replay(&mut self, log: &Log) -> usize {
        let start = self.cursor.seen;
        let positions = log.order_positions();
        let limit = self.filter.limit.map_or(u64::MAX, |l| l as u64);
        let mut pos = start;
        let mut applied = 0;
        while pos < positions.len() && self.cursor.matched < limit {
            let max = (self.every - self.cursor.matched % self.every).min(limit - self.cursor.matched);
            let mut run = Run::new(log, &self.filter, &positions[pos..], max);
            self.fold.apply_run(&mut self.state, &mut run);
            if !run.is_done() {
                let (fold, state) = (&self.fold, &mut self.state);
                run.for_each(|_, e| fold.apply(state, e, log));
            }
            let (consumed, n) = (run.consumed(), run.matched());
            pos += consumed;
            self.cursor.matched += n;
            applied += n as usize;
            if n == max && self.cursor.matched.is_multiple_of(self.every) {
                // The run stopped right after the event that completed the interval.
                let key = log.arena_events().at(positions[pos - 1] as usize).order_key();
                self.push_checkpoint(Cursor { key: Some(key), seen: pos, matched: self.cursor.matched });
            }
            if consumed == 0 {
                break;
            }
        }
        if let Some(e) = log.iter().next_back().filter(|_| log.len() > start) {
            self.cursor.key = Some(e.order_key());
            self.cursor.seen = log.len();
        }
        applied
    }

    fn push_checkpoint(&mut self, cursor: Cursor) {
        self.checkpoints.push(Checkpoint { cursor, state: self.state.clone() });
        if self.checkpoints.len() > self.opts.max_checkpoints.max(1) {
            self.every = self.every.saturating_mul(2);
            let every = self.every;
            self.checkpoints.retain(|c| c.cursor.matched % every == 0);
        }
    }
}

impl<F: StateCodec> Projection<F> {
    /// Catches up with `log`, then encodes the state and what it covers (the log's
    /// version). See [`Snapshot`] for the format.
    pub fn snapshot(&mut self, log: &Log) -> Result<Vec<u8>, Error> {
        self.update(log);
        let snap = Snapshot {
            position: self.cursor.key,
            matched: self.cursor.matched,
            version: log.version().clone(),
            fingerprint: fingerprint(&self.fold, &self.filter),
            state: self.fold.encode_state(&self.state)?,
        };
        Ok(snap.encode())
    }

    /// A projection restored from `bytes` and caught up with `log`, replaying only the
    /// events the snapshot does not cover. The snapshot is not used (the projection is
    /// rebuilt from scratch, and `from_snapshot` is false) when `log` lacks events it
    /// covers, or holds an uncovered event the filter selects that sorts before the
    /// snapshot's position (a merge that landed early after it was taken).
    ///
    /// Fails with a decode error on malformed bytes, or on a snapshot of another fold or
    /// filter.
    pub fn restore(
        log: &Log,
        fold: F,
        filter: Filter,
        opts: ProjectionOptions,
        bytes: &[u8],
    ) -> Result<(Self, RestoreReport), Error> {
        let snap = Snapshot::decode(bytes)?;
        if snap.fingerprint != fingerprint(&fold, &filter) {
            return Err(crate::core::error::DecodeError::Malformed {
                what: "snapshot of another fold or filter",
                at: 0,
            }
            .into());
        }
        let state = fold.decode_state(&snap.state)?;
        let mut p = Self::new(fold, filter, opts);
        match covered_seen(log, &snap, &p.filter) {
            Some(seen) => {
                p.state = state;
                p.cursor = Cursor { key: snap.position, seen, matched: snap.matched };
                if p.cursor.key.is_some() {
                    // So that a merge landing after the snapshot's position rewinds to it,
                    // not to the start.
                    p.checkpoints.push(Checkpoint { cursor: p.cursor, state: p.state.clone() });
                }
                let applied = p.replay(log);
                Ok((p, RestoreReport { from_snapshot: true, applied }))
            }
            None => {
                let applied = p.replay(log);
                Ok((p, RestoreReport { from_snapshot: false, applied }))
            }
        }
    }
}

/// What [`Projection::restore`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoreReport {
    /// The snapshot's state was used (otherwise the projection was rebuilt from scratch).
    pub from_snapshot: bool,
    /// Events folded in after the snapshot (or all of them, when rebuilt).
    pub applied: usize,
}

fn fingerprint<F: StateCodec>(fold: &F, filter: &Filter) -> String {
    format!("{}\n{}", fold.fingerprint(), filter.to_json())
}

/// When the snapshot's state is a valid starting point in `log`: the number of log
/// events at or before its position. `None` when it must be rebuilt from scratch.
fn covered_seen(log: &Log, snap: &Snapshot, filter: &Filter) -> Option<usize> {
    if !snap.version.le(log.version()) {
        return None; // it covers events this log does not have
    }
    // Its position must be the last covered event in the order (a consistency check on
    // bytes that passed the checksum but may come from elsewhere).
    let last = snap
        .version
        .iter()
        .filter_map(|(a, s)| log.get(&crate::core::id::EventId::new(*a, s)))
        .map(EventRef::order_key)
        .max();
    if last != snap.position {
        return None;
    }
    let Some(pos) = snap.position else { return Some(0) };
    let seen = log.position_of(&pos) + 1;
    if seen as u64 != snap.version.total() {
        // Uncovered events sort before the position. Harmless unless the filter selects one.
        let early = log.iter().take(seen).any(|e| !snap.version.includes(&e.id()) && filter.matches(e));
        if early {
            return None;
        }
    }
    Some(seen)
}
