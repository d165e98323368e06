//! Applying the stream's new events to a document ([`Document::update`]).
//!
//! Remote changes are applied in batches (much faster than one by one). Every change is
//! checked before automerge sees it ([`super::fit`]), and recorded in the index when read,
//! so later changes of the same batch can name it. If automerge still refuses a batch (it
//! refuses a whole batch before applying any of it), the batch's records are forgotten and
//! its events are read and applied again one at a time: each change automerge refuses is
//! listed in [`Document::rejected`] with its event, and the rest applies. Nothing of an
//! update is dropped silently.
//!
//! After [`fit`](super::fit)'s checks automerge refuses a change only when it already
//! holds the change's `(actor, seq)`: a local change of this document that is not in the
//! log (a draft not appended yet, or never) and an event of the same actor and seq (a
//! forged event, or a second document of the same log). The log decides: the document is
//! then rebuilt from it, as a fresh fold would read it, so the draft's event, once
//! appended, is refused there as everywhere (its seq is taken), and the draft counts in
//! [`Document::dropped_changes`]. Tracked patches go on from what was reported before: the
//! next [`Document::take_patches`] first undoes what the dropped draft did (if it was
//! reported), then brings what the log holds.

use std::collections::HashSet;

use automerge::{Change, ChangeHash, ReadDoc};

use super::elements::{Elements, NewRuns};
use super::{fit, DocError, Document, Local, CHANGE_TYPE};
use crate::core::{EventRef, Log};

/// Changes read and recorded, not applied yet, with the events they came from (and this
/// document's own changes recorded in between, which a refused batch records again).
#[derive(Default)]
struct Batch<'a> {
    /// The index's length before the batch's first record.
    start: usize,
    events: Vec<(EventRef<'a>, Option<Local>)>,
    changes: Vec<Change>,
    hashes: HashSet<ChangeHash>,
}

impl Document {
    /// Applies the stream's events that arrived since the last update (local or remote).
    /// Returns how many changes were applied (all the document's, when it was rebuilt from
    /// the log: module docs). A change event that cannot be read, does not fit the document
    /// or that automerge refuses is skipped and listed in [`rejected`](Self::rejected).
    pub fn update(&mut self, log: &Log) -> Result<usize, DocError> {
        let fresh: Vec<EventRef<'_>> =
            log.missing_from(&self.seen).filter(|e| *e.stream() == *self.stream && *e.kind() == *CHANGE_TYPE).collect();
        self.seen.merge(log.version());
        if fresh.is_empty() {
            return Ok(0);
        }
        if !self.elements_ready && fresh.iter().any(|e| !self.local.iter().any(|l| *l.data == *e.data())) {
            self.build_elements();
        }
        // A change that names a batched change automerge could order after it (not a
        // direct dependency), or an object a batched change makes, waits for the batch to
        // apply.
        let mut batch = Batch::default();
        let mut n = 0;
        let mut refused_own = false;
        for &e in &fresh {
            if let Some(l) = self.own_change(log, e) {
                self.record_own(e, &l);
                if !batch.events.is_empty() {
                    batch.events.push((e, Some(l)));
                }
                n += 1;
                continue;
            }
            let Some((change, needs)) = self.read_or_list(log, e) else { continue };
            let waits = needs.objects.iter().any(|h| batch.hashes.contains(h))
                || needs.changes.iter().any(|h| batch.hashes.contains(h) && !change.deps().contains(h));
            if waits {
                n += self.flush(log, &mut batch, &mut refused_own);
            }
            if !self.objects_exist_or_list(e, &change, &needs) {
                continue;
            }
            if batch.events.is_empty() {
                batch.start = self.index.len();
            }
            self.index.record(e.id(), change.hash(), change.actor_id(), change.seq(), change.max_op());
            self.elements.record(change.actor_id(), &needs.runs);
            batch.hashes.insert(change.hash());
            batch.events.push((e, None));
            batch.changes.push(change);
        }
        n += self.flush(log, &mut batch, &mut refused_own);
        if refused_own && self.edited {
            // The log decides (module docs). A fresh fold has no local change, so this
            // happens at most once; it lists what the fresh fold lists.
            self.rebuild(log)?;
            n = self.index.len();
        }
        Ok(n)
    }

    /// Rebuilds the document from the log, as a fresh fold reads it. This actor's changes
    /// the rebuilt document does not hold are dropped (counted in `dropped`); tracked
    /// patches go on from what was reported before: first what undoes the dropped changes'
    /// edits (computed in the old document, back to the changes both hold), then what the
    /// rebuilt document holds beyond those.
    pub(super) fn rebuild(&mut self, log: &Log) -> Result<(), DocError> {
        // What was reported: the heads the next patches start from (after `undone`, from
        // an earlier rebuild), or those of the last report.
        let pending = self.patches_from.take();
        let rebuilt_before = pending.is_some();
        let reported = pending.unwrap_or_else(|| self.doc.diff_cursor());
        let undone = std::mem::take(&mut self.undone);
        let mut old = std::mem::replace(self, Document::open_with(log, &self.stream, self.doc.text_encoding())?);
        // This actor's changes the rebuilt document does not hold: the drafts not in the log,
        // and the latest recorded ones back to the first both hold (an actor's changes are
        // a chain), e.g. a draft whose event the log holds after a forged one of its seq.
        let mut gone = old.local.iter().filter(|l| self.index.by_hash(&l.hash).is_none()).count() as u64;
        let mut seq = old.index.latest(&old.actor).map_or(0, |r| r.seq);
        while old.index.by_seq(&old.actor, seq).is_some_and(|r| self.index.by_hash(&r.hash).is_none()) {
            gone += 1;
            seq -= 1;
        }
        self.dropped = old.dropped + gone;
        if rebuilt_before || !reported.is_empty() {
            let from = self.known_before(&mut old.doc, reported.clone());
            self.undone = undone;
            self.undone.extend(old.doc.diff(&reported, &from).iter().map(super::json::patch_to_json));
            self.patches_from = Some(from);
        }
        Ok(())
    }

    /// The changes of `heads` (of the document `old`) this document holds, each one it
    /// does not hold replaced by its dependencies: where patches continue from after a
    /// rebuild. (What only `old` held, a local change, is not reported undone.)
    fn known_before(&self, old: &mut automerge::AutoCommit, heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
        let (mut from, mut stack, mut seen) = (Vec::new(), heads, HashSet::new());
        while let Some(h) = stack.pop() {
            if !seen.insert(h) {
                continue;
            }
            if self.index.by_hash(&h).is_some() {
                from.push(h);
            } else if let Some(c) = old.get_change_by_hash(&h) {
                stack.extend_from_slice(c.deps());
            }
        }
        from
    }

    /// The hash of `e`'s change if `e` carries a change this document made and already
    /// holds. Drafts are appended in order, so older entries before a match were never
    /// appended (a failed append the caller did not [`reload`](Self::reload) after).
    fn own_change(&mut self, log: &Log, e: EventRef<'_>) -> Option<Local> {
        if e.id().actor != log.actor() {
            return None;
        }
        let at = self.local.iter().position(|l| *l.data == *e.data())?;
        self.local.drain(..=at).next_back()
    }

    /// Applies the batch's changes; how many applied. If automerge refuses the batch, each
    /// event is read and applied again on its own ([`one_by_one`](Self::one_by_one)).
    fn flush<'a>(&mut self, log: &'a Log, batch: &mut Batch<'a>, refused_own: &mut bool) -> usize {
        let events = std::mem::take(&mut batch.events);
        let changes = std::mem::take(&mut batch.changes);
        batch.hashes.clear();
        if changes.is_empty() {
            return 0;
        }
        let count = changes.len();
        let n = match self.doc.apply_changes(changes) {
            Ok(()) => count,
            // automerge checks the whole batch before applying any of it.
            Err(_) => self.one_by_one(log, batch.start, events, refused_own),
        };
        self.held_back();
        n
    }

    /// Forgets the records of a refused batch (from `start` on) and applies its events one
    /// at a time, as if each came in an update of its own: the rest of the batch is read
    /// again without the changes automerge refuses (a change that names one is refused as
    /// not fitting, as a fresh fold refuses it).
    fn one_by_one(
        &mut self,
        log: &Log,
        start: usize,
        events: Vec<(EventRef<'_>, Option<Local>)>,
        refused_own: &mut bool,
    ) -> usize {
        self.forget_from(start);
        let mut n = 0;
        for (e, own) in events {
            if let Some(l) = own {
                self.record_own(e, &l);
                continue;
            }
            let Some((change, needs)) = self.read_or_list(log, e) else { continue };
            if !self.objects_exist_or_list(e, &change, &needs) {
                continue;
            }
            let (hash, actor, seq, max_op) = (change.hash(), change.actor_id().clone(), change.seq(), change.max_op());
            match self.doc.apply_changes([change]) {
                Ok(()) => {
                    self.index.record(e.id(), hash, &actor, seq, max_op);
                    self.elements.record(&actor, &needs.runs);
                    n += 1;
                }
                Err(err) => {
                    *refused_own |= actor == self.actor;
                    self.rejected
                        .push(DocError::BadChange { id: e.id(), reason: format!("automerge refused it: {err}") });
                }
            }
        }
        n
    }

    /// Builds the element table from every change of the document (after opening a
    /// snapshot, which does not hold it): decodes each, an actor's in seq order.
    fn build_elements(&mut self) {
        self.elements = Elements::default();
        for c in self.doc.get_changes(&[]) {
            self.elements.record(c.actor_id(), &NewRuns::of(c.start_op().get(), &c.decode().operations));
        }
        self.elements_ready = true;
    }

    /// The change `e` carries and what it needs, if it fits; else `None`, the refusal listed
    /// in `rejected` (one bad event must not make the document unreadable: skip it, keep it
    /// listed).
    fn read_or_list(&mut self, log: &Log, e: EventRef<'_>) -> Option<(Change, fit::Needs)> {
        self.read_fitting(log, e).map_err(|err| self.rejected.push(err)).ok()
    }

    /// Are the objects `change` names outside itself in the document (every change it
    /// needs applied)? If not, the refusal is listed in `rejected`.
    fn objects_exist_or_list(&mut self, e: EventRef<'_>, change: &Change, needs: &fit::Needs) -> bool {
        let Err(why) = fit::objects_exist(change, &needs.ops, &self.doc) else { return true };
        self.rejected.push(DocError::BadChange { id: e.id(), reason: format!("does not fit the document: {why}") });
        false
    }

    /// Records `e`, which carries `l`, a change this document made and already holds.
    fn record_own(&mut self, e: EventRef<'_>, l: &Local) {
        self.index.record(e.id(), l.hash, &self.actor, l.seq, l.max_op);
        self.elements.record(&self.actor, &l.runs);
    }

    /// Forgets the records from `start` on: the index's, and the elements of their changes
    /// (an actor's changes are recorded in seq order, so its elements after its last
    /// remaining change are theirs).
    fn forget_from(&mut self, start: usize) {
        let mut actors: Vec<automerge::ActorId> = Vec::new();
        for r in self.index.iter_from(start) {
            let a = self.index.actor(&r);
            if !actors.contains(a) {
                actors.push(a.clone());
            }
        }
        self.index.truncate(start);
        for a in &actors {
            let kept = self.index.latest(a).map_or(0, |r| r.max_op);
            self.elements.truncate(a, kept);
        }
    }

    /// automerge holds back (queues, without an error) a change whose dependencies it does
    /// not have. Every dependency of a change that fits is a recorded change, applied or
    /// in the same batch, so this does not happen; if it ever did, it is listed rather
    /// than kept silently.
    fn held_back(&mut self) {
        let missing = self.doc.get_missing_deps(&[]);
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|h| h.to_string()).collect();
            let err = DocError::Automerge(format!("automerge holds back changes until it has {}", names.join(", ")));
            if !self.rejected.contains(&err) {
                self.rejected.push(err);
            }
        }
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
