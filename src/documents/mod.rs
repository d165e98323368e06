//! Collaborative documents inside the log, built on [automerge](https://automerge.org).
//!
//! A document is a stream whose events each carry one automerge change:
//!
//! ```text
//! event.stream = "doc:7"            (any stream name the app picks)
//! event.type   = "automerge.change"
//! event.data   = "<base64 of the compact change>"   (or, legacy: {"change": "<base64>"})
//! ```
//!
//! The compact payload ([`payload`]) leaves out what the event and the document already
//! know (actor, dependency hashes, first op counter, checksum) and is rebuilt into
//! automerge's exact change chunk on read, so change hashes are automerge's own.
//!
//! Folding the stream applies the changes in the log's total order (a causal order, so every
//! change's automerge dependencies are already applied) and gives an automerge document.
//! Remote edits arrive through the log's normal sync; there is no second protocol.
//!
//! Keep-both: concurrent writes to one property keep every value (automerge's conflicts);
//! [`Document::conflicts`] returns each value with the event that wrote it (actor, time),
//! and [`Document::conflict_history`] lists every conflict that ever existed, resolved or
//! not, replayed from the changes' operations in total order (so it is the same on every
//! replica). Concurrent text edits merge character by character (automerge's text CRDT).
//!
//! The automerge actor of a change is the everlog actor that appended it, so every op can
//! be traced back to its event.

mod conflicts;
mod edit;
mod elements;
mod fit;
mod index;
mod json;
mod payload;
mod snapshot;
mod update;

use std::collections::VecDeque;

pub use automerge::TextEncoding;
use automerge::{AutoCommit, ChangeHash, ReadDoc};
use thiserror::Error;

use crate::core::{Draft, Event, EventId, EventRef, Log, VersionVector};

pub use conflicts::{DocConflict, DocConflictRecord, DocValue};
pub use edit::{Editor, PathSeg};
pub use payload::PayloadError;

use elements::{Elements, NewRuns};
use index::Index;

/// The event type of a document change.
pub const CHANGE_TYPE: &str = "automerge.change";

/// What can go wrong with a document.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DocError {
    /// A change event whose payload is not an automerge change.
    #[error("event {id} is not a valid document change: {reason}")]
    BadChange { id: EventId, reason: String },
    /// A path that does not lead to an object of the right kind.
    #[error("bad path {path}: {reason}")]
    BadPath { path: String, reason: String },
    /// automerge refused an operation.
    #[error("automerge: {0}")]
    Automerge(String),
    /// A document snapshot that cannot be read, or does not fit the log.
    #[error("bad document snapshot: {0}")]
    BadSnapshot(String),
}

impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Automerge(e.to_string())
    }
}

/// A document folded from one stream of a log.
pub struct Document {
    stream: String,
    doc: AutoCommit,
    /// The automerge actor of local changes (the log's actor).
    actor: automerge::ActorId,
    /// The log version whose document events are applied.
    seen: VersionVector,
    /// Every applied change: its event, hash, `(actor, seq)` and last op.
    index: Index,
    /// The object of each list or text element of those changes.
    elements: Elements,
    /// Whether `elements` holds every applied change's elements (not yet after opening a
    /// snapshot: built when the first change that needs it is read).
    elements_ready: bool,
    /// Change events of the stream that could not be read (skipped).
    rejected: Vec<DocError>,
    /// Local changes handed out as drafts and not seen in the log yet: their event data and
    /// change hash. The change is already in `doc` (committed by the edit), so when its
    /// event comes back, [`update`](Self::update) records it without decoding the payload
    /// again (decoding and re-applying were about a tenth of a local edit's time).
    local: VecDeque<Local>,
    /// Whether this document made a change since it was folded from the log: only then
    /// can automerge hold a change of this actor that the log does not
    /// ([`update`](Self::update) rebuilds the document when that refuses a change).
    edited: bool,
    /// After a rebuild ([`update`](Self::update), [`reload`](Self::reload)) while patches
    /// were tracked: the heads the next [`take_patches`](Self::take_patches) reports from,
    /// and before those, the patches that undo what the dropped drafts did.
    patches_from: Option<Vec<ChangeHash>>,
    undone: Vec<serde_json::Value>,
    /// Changes of this actor a rebuild dropped ([`dropped_changes`](Self::dropped_changes)).
    dropped: u64,
}

/// A local change handed out as a draft: its event data and what the index records.
struct Local {
    data: String,
    hash: ChangeHash,
    seq: u64,
    max_op: u64,
    runs: NewRuns,
}

impl Document {
    /// Folds `stream` of `log` into a document edited as the log's actor. Text positions
    /// count Unicode code points.
    pub fn open(log: &Log, stream: &str) -> Result<Self, DocError> {
        Self::open_with(log, stream, TextEncoding::UnicodeCodePoint)
    }

    /// Like [`open`](Self::open) with another unit for text positions (JavaScript strings
    /// count UTF-16 code units). The unit only affects how positions are read; documents
    /// opened with different units interoperate.
    pub fn open_with(log: &Log, stream: &str, encoding: TextEncoding) -> Result<Self, DocError> {
        let mut d = Document::empty(log, stream, AutoCommit::new_with_encoding(encoding));
        d.update(log)?;
        Ok(d)
    }

    /// A document of `stream` holding `doc`, that has seen no event yet.
    fn empty(log: &Log, stream: &str, mut doc: AutoCommit) -> Self {
        let actor = automerge::ActorId::from(log.actor().as_bytes().as_slice());
        doc.set_actor(actor.clone());
        Document {
            stream: stream.to_string(),
            doc,
            actor,
            seen: VersionVector::new(),
            index: Index::default(),
            elements: Elements::default(),
            elements_ready: true,
            rejected: Vec::new(),
            local: VecDeque::new(),
            edited: false,
            patches_from: None,
            undone: Vec::new(),
            dropped: 0,
        }
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The automerge change event `e` carries, read against the changes this document has
    /// applied, without applying it: a typed error ([`DocError::BadChange`]) for a payload
    /// that is not a change. (The fuzz target `doc_payload` and its seeded tests drive the
    /// payload decoder through this.)
    pub fn decode_change(&self, log: &Log, e: &Event) -> Result<automerge::Change, DocError> {
        self.read_change(log, e.view())
    }

    /// The change `e` carries if it fits the document (see [`fit`]), and what it needs
    /// applied before it.
    fn read_fitting(&self, log: &Log, e: EventRef<'_>) -> Result<(automerge::Change, fit::Needs), DocError> {
        let change = self.read_change(log, e)?;
        let actor = automerge::ActorId::from(e.id().actor.as_bytes().as_slice());
        let id = e.id();
        let past = |x: EventId| log.happened_before(&x, &id);
        let needs = fit::check(&change, &actor, &self.index, &self.elements, &past)
            .map_err(|reason| DocError::BadChange { id, reason: format!("does not fit the document: {reason}") })?;
        Ok((change, needs))
    }

    /// The automerge change an event of this document's stream carries. Compact payloads
    /// name their dependencies by `(actor, seq)`, so this needs every change before `e`
    /// in the log's order to be applied already (it is, once `update` has seen `e`).
    fn read_change(&self, log: &Log, e: EventRef<'_>) -> Result<automerge::Change, DocError> {
        let actor = automerge::ActorId::from(e.id().actor.as_bytes().as_slice());
        let id = e.id();
        let past = |x: EventId| log.happened_before(&x, &id);
        payload::read(e.data(), &actor, &self.index, &past)
            .map_err(|x| DocError::BadChange { id, reason: x.to_string() })
    }

    /// The document as plain JSON (text objects as strings).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(automerge::AutoSerde::from(&self.doc)).unwrap_or(serde_json::Value::Null)
    }

    /// The document as it was at a past version of the log (read-only).
    pub fn at(&self, version: &VersionVector) -> Result<serde_json::Value, DocError> {
        let heads = self.heads_at(version);
        let mut doc = self.doc.clone();
        let past = doc.fork_at(&heads)?;
        Ok(serde_json::to_value(automerge::AutoSerde::from(&past)).unwrap_or(serde_json::Value::Null))
    }

    /// What changed between two versions of the log, as automerge patches rendered to JSON.
    pub fn diff(&self, from: &VersionVector, to: &VersionVector) -> Vec<serde_json::Value> {
        let (before, after) = (self.heads_at(from), self.heads_at(to));
        let mut doc = self.doc.clone();
        doc.diff(&before, &after).iter().map(json::patch_to_json).collect()
    }

    /// Starts recording changes (local edits and applied events) for
    /// [`take_patches`](Self::take_patches), from the current state on. Recording has a
    /// small cost per change, so it is off until asked for (the JS `subscribe` asks).
    pub fn track_patches(&mut self) {
        self.patches_from = None;
        self.undone.clear();
        self.doc.update_diff_cursor();
    }

    /// What changed since the last call (or since [`track_patches`](Self::track_patches)),
    /// as patches rendered to JSON; empty when nothing changed. After a rebuild that
    /// dropped changes ([`dropped_changes`](Self::dropped_changes)), they start with the
    /// patches that undo what those changes did (if reported), so applied in order they
    /// always lead from what was reported before to the document as it is.
    pub fn take_patches(&mut self) -> Vec<serde_json::Value> {
        let patches = match self.patches_from.take() {
            // Rebuilt from the log since the last call (src/documents/update.rs).
            Some(from) => {
                let heads = self.doc.get_heads();
                let patches = self.doc.diff(&from, &heads);
                self.doc.update_diff_cursor();
                patches
            }
            None => self.doc.diff_incremental(),
        };
        let mut out = std::mem::take(&mut self.undone);
        out.extend(patches.iter().map(json::patch_to_json));
        out
    }

    /// How many changes of this document's actor a rebuild from the log dropped (an
    /// own-actor clash in [`update`](Self::update), or [`reload`](Self::reload)): drafts
    /// not appended, and changes whose event the log holds after another change of this
    /// actor with the same seq (a forged event), which every fold refuses. Their edits are
    /// gone; a draft's event, if appended after all, is refused. Grows only: a caller
    /// holding drafts compares it before and after a call.
    pub fn dropped_changes(&self) -> u64 {
        self.dropped
    }

    /// The automerge heads of the changes a log version includes.
    fn heads_at(&self, version: &VersionVector) -> Vec<ChangeHash> {
        let included: Vec<ChangeHash> =
            self.index.iter().filter(|r| version.includes(&r.event)).map(|r| r.hash).collect();
        // Heads = included changes that no other included change depends on.
        let mut deps_of_included = std::collections::HashSet::new();
        for h in &included {
            if let Some(c) = self.doc.get_change_by_hash(h) {
                deps_of_included.extend(c.deps().iter().copied());
            }
        }
        included.into_iter().filter(|h| !deps_of_included.contains(h)).collect()
    }

    /// Change events of the stream that were skipped because they could not be read.
    pub fn rejected(&self) -> &[DocError] {
        &self.rejected
    }

    /// The event that carried the change with this hash.
    pub fn event_of(&self, hash: &ChangeHash) -> Option<EventId> {
        self.index.by_hash(hash).map(|r| r.event)
    }

    /// Read access to the automerge document.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// Text of the text object at `path`.
    pub fn text(&self, path: &[PathSeg]) -> Result<String, DocError> {
        let obj = edit::resolve(&self.doc, path)?;
        Ok(self.doc.text(&obj)?)
    }

    /// Turns the pending local edits into a draft to append; `None` when nothing changed.
    /// After appending it, call [`update`](Self::update) (it recognises its own change).
    fn take_change(&mut self) -> Option<Draft> {
        let hash = self.doc.commit()?;
        // automerge keeps no encoded changes: this rebuilds the change from the op set
        // (about a fifth of a local edit's time; automerge has no API that hands out the
        // change it has just built).
        let change = self.doc.get_last_local_change()?;
        let data = payload::write(&change, &self.actor, &self.index);
        self.edited = true;
        // The elements it makes, recorded with it when its event is read (remote changes
        // may name them).
        let runs = NewRuns::of(change.start_op().get(), &change.decode().operations);
        self.local.push_back(Local { data: data.clone(), hash, seq: change.seq(), max_op: change.max_op(), runs });
        Some(Draft { stream: self.stream.clone(), kind: CHANGE_TYPE.into(), data, ..Default::default() })
    }
}

#[cfg(test)]
mod tests;
