//! Document snapshots: opening a long-edited document without replaying every change.
//!
//! [`Document::open`] folds every change event of the stream: the cost grows with the
//! document's whole history. A snapshot holds automerge's compacted `save()` of the
//! document plus what the document knows beside it (which event carried each change, the
//! log version it covers, the rejected events), so
//! [`Document::open_snapshot`] loads it and then applies only the events the snapshot does
//! not cover. The app keeps the bytes wherever it likes (a file, a key-value store);
//! the log stays the source of truth: a snapshot is only accepted for a log that holds
//! every event it covers.
//!
//! ```text
//! snapshot, version 1
//! +--------+----+-----------------+----------------------------+---------------------+
//! | "EVDS" | 01 | stream          | seen: log version covered  | doc                 |
//! | 4 B    | 1B | uleb len, UTF-8 | uleb count,                | uleb len, automerge |
//! |        |    |                 | (actor 16 B, uleb seq)*    | save() bytes        |
//! +--------+----+-----------------+----------------------------+---------------------+
//! +-----------------------------------------------------------------------------------+
//! | events: deflate (raw) of                                                          |
//! |   uleb actor count, actor 16 B*           (event actors other than the change's)  |
//! |   uleb change count                                                               |
//! |   per change, sorted by (automerge actor, seq):                                   |
//! |     uleb actor ref (0: the change's own actor, i + 1: the i-th actor above)      |
//! |     sleb event seq - change seq                                                   |
//! |   uleb rejected count, (actor 16 B, uleb seq, uleb len, UTF-8 reason)*            |
//! +-----------------------------------------------------------------------------------+
//! ```
//!
//! The event numbers are small and repetitive (an actor's event seq and automerge seq
//! usually move together), so the section deflates to almost nothing.

use automerge::{AutoCommit, ChangeHash, TextEncoding};

use super::index::Index;
use super::{DocError, Document};
use crate::core::{ActorId, EventId, Log, VersionVector};

const MAGIC: &[u8; 4] = b"EVDS";
const VERSION: u8 = 1;
/// Bound on the inflated events section (16 B per change is far above what it needs).
const MAX_EVENTS_SECTION: usize = 1 << 30;

impl Document {
    /// A snapshot of the document as of the log's current version (it updates first).
    /// Fails while a local draft is handed out and not seen in the log yet: the snapshot
    /// must not hold a change the log does not.
    pub fn snapshot(&mut self, log: &Log) -> Result<Vec<u8>, DocError> {
        self.update(log)?;
        if !self.local.is_empty() {
            return Err(DocError::BadSnapshot("a draft is not in the log yet: append it (or reload) first".into()));
        }
        let mut out = MAGIC.to_vec();
        out.push(VERSION);
        bytes(&mut out, self.stream.as_bytes());
        uleb(&mut out, self.seen.len() as u64);
        for (actor, seq) in self.seen.iter() {
            out.extend_from_slice(actor.as_bytes());
            uleb(&mut out, seq);
        }
        bytes(&mut out, &self.doc.save());

        let mut metas: Vec<(automerge::ActorId, u64, ChangeHash)> =
            self.doc.get_changes_meta(&[]).into_iter().map(|m| (m.actor.into_owned(), m.seq, m.hash)).collect();
        metas.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut table: Vec<ActorId> = Vec::new();
        let mut refs = Vec::with_capacity(metas.len() * 2);
        for (actor, seq, hash) in &metas {
            let event = self
                .index
                .by_hash(hash)
                .map(|r| r.event)
                .ok_or_else(|| DocError::BadSnapshot("a change of the document has no event".into()))?;
            let at = if actor.as_ref() == event.actor.as_bytes() {
                0
            } else {
                match table.iter().position(|a| *a == event.actor) {
                    Some(i) => i + 1,
                    None => {
                        table.push(event.actor);
                        table.len()
                    }
                }
            };
            uleb(&mut refs, at as u64);
            sleb(&mut refs, i128::from(event.seq) - i128::from(*seq));
        }
        let mut events = Vec::new();
        uleb(&mut events, table.len() as u64);
        for a in &table {
            events.extend_from_slice(a.as_bytes());
        }
        uleb(&mut events, metas.len() as u64);
        events.extend_from_slice(&refs);
        uleb(&mut events, self.rejected.len() as u64);
        for r in &self.rejected {
            let DocError::BadChange { id, reason } = r else { continue };
            events.extend_from_slice(id.actor.as_bytes());
            uleb(&mut events, id.seq);
            bytes(&mut events, reason.as_bytes());
        }
        out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(&events, 6));
        Ok(out)
    }

    /// Opens the document of `stream` from a [`snapshot`](Self::snapshot), then applies
    /// the events the snapshot does not cover. Text positions count Unicode code points.
    pub fn open_snapshot(log: &Log, stream: &str, snapshot: &[u8]) -> Result<Self, DocError> {
        Self::open_snapshot_with(log, stream, snapshot, TextEncoding::UnicodeCodePoint)
    }

    /// [`open_snapshot`](Self::open_snapshot) with another unit for text positions.
    /// A snapshot that cannot be read, is of another stream, or covers events the log
    /// does not hold is refused with [`DocError::BadSnapshot`].
    pub fn open_snapshot_with(
        log: &Log,
        stream: &str,
        snapshot: &[u8],
        encoding: TextEncoding,
    ) -> Result<Self, DocError> {
        let bad = |why: &str| DocError::BadSnapshot(why.into());
        let mut r = Reader(snapshot);
        if r.take(4)? != MAGIC || r.byte()? != VERSION {
            return Err(bad("not a document snapshot (or a later version)"));
        }
        if r.bytes()? != stream.as_bytes() {
            return Err(bad("a snapshot of another stream"));
        }
        let mut seen = VersionVector::new();
        for _ in 0..r.count(17)? {
            let actor = actor16(r.take(16)?);
            let seq = r.uleb()?;
            if log.version().get(&actor) < seq {
                return Err(bad("the snapshot covers events this log does not hold"));
            }
            seen.set(actor, seq);
        }
        let saved = r.bytes()?;
        let doc = AutoCommit::load_with_options(
            saved,
            automerge::LoadOptions::new().text_encoding(encoding).on_partial_load(automerge::OnPartialLoad::Error),
        )
        .map_err(|e| DocError::BadSnapshot(format!("automerge: {e}")))?;
        let events = miniz_oxide::inflate::decompress_to_vec_with_limit(r.0, MAX_EVENTS_SECTION)
            .map_err(|_| bad("the events section does not inflate"))?;

        let mut d = Document::empty(log, stream, doc);
        d.seen = seen;
        let mut metas: Vec<(automerge::ActorId, u64, ChangeHash, u64)> =
            d.doc.get_changes_meta(&[]).into_iter().map(|m| (m.actor.into_owned(), m.seq, m.hash, m.max_op)).collect();
        metas.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut r = Reader(&events);
        let table: Vec<ActorId> = (0..r.count(16)?).map(|_| r.take(16).map(actor16)).collect::<Result<_, _>>()?;
        if r.count(2)? != metas.len() {
            return Err(bad("the events section does not match the document's changes"));
        }
        let mut index = Index::default();
        for (actor, seq, hash, max_op) in &metas {
            let at = r.uleb()?;
            let event_actor = match at {
                0 if actor.as_ref().len() == 16 => actor16(actor.as_ref()),
                0 => return Err(bad("a change actor is not an event actor")),
                n => {
                    *table.get(usize::try_from(n - 1).map_err(|_| bad("actor ref"))?).ok_or_else(|| bad("actor ref"))?
                }
            };
            let event_seq = u64::try_from(i128::from(*seq) + r.sleb()?).map_err(|_| bad("event seq"))?;
            index.record(EventId::new(event_actor, event_seq), *hash, actor, *seq, *max_op);
        }
        for _ in 0..r.count(18)? {
            let id = EventId::new(actor16(r.take(16)?), r.uleb()?);
            let reason = std::str::from_utf8(r.bytes()?).map_err(|_| bad("a reason is not UTF-8"))?;
            d.rejected.push(DocError::BadChange { id, reason: reason.into() });
        }
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        d.index = index;
        // The element table is not in the snapshot: built from the document's changes when
        // a change that needs it is first read (`update`).
        d.elements_ready = false;
        d.update(log)?;
        Ok(d)
    }
}

fn actor16(b: &[u8]) -> ActorId {
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    ActorId(a)
}

fn uleb(out: &mut Vec<u8>, v: u64) {
    super::payload::uleb(out, v)
}

fn sleb(out: &mut Vec<u8>, v: i128) {
    super::payload::sleb(out, v)
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    uleb(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Checked reads over untrusted snapshot bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn inner(&mut self) -> super::payload::Reader<'a> {
        super::payload::Reader(self.0)
    }

    fn step<T>(
        &mut self,
        f: impl FnOnce(&mut super::payload::Reader<'a>) -> Result<T, super::PayloadError>,
    ) -> Result<T, DocError> {
        let mut inner = self.inner();
        let v = f(&mut inner).map_err(|e| DocError::BadSnapshot(e.to_string()))?;
        self.0 = inner.0;
        Ok(v)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DocError> {
        self.step(|r| r.take(n))
    }

    fn byte(&mut self) -> Result<u8, DocError> {
        self.step(|r| r.byte())
    }

    fn uleb(&mut self) -> Result<u64, DocError> {
        self.step(|r| r.uleb())
    }

    fn sleb(&mut self) -> Result<i128, DocError> {
        self.step(|r| r.sleb_i128())
    }

    fn bytes(&mut self) -> Result<&'a [u8], DocError> {
        self.step(|r| r.bytes())
    }

    /// A count of items of at least `min` bytes each, bounded by what is left.
    fn count(&mut self, min: usize) -> Result<usize, DocError> {
        let n = self.uleb()?;
        match usize::try_from(n) {
            Ok(n) if n.saturating_mul(min) <= self.0.len() => Ok(n),
            _ => Err(DocError::BadSnapshot("a count larger than the snapshot".into())),
        }
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
