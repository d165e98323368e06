//! The body of one chunk: a string table and the events' fields, column by column.
//!
//! Columns (all of one field, then the next) put alike values side by side: a run of
//! seq deltas that are all 1, lamport deltas that are all 1, stream indices that repeat.
//! Deflate then squeezes the metadata to a fraction of a byte per field, while the JSON
//! payloads sit together at the end where they compress against each other.
//!
//! Deltas are per actor within the chunk (an actor's seq, lamport and time only grow
//! along its own history, so its deltas are small even when actors interleave in the
//! total order); they start from 0 in every chunk so that each chunk decodes on its own.
//! They are zigzag-encoded and wrapping, so any event round-trips, even one that
//! `Log::receive` would refuse: validation is the log's job, not the codec's.

use crate::core::hash::Map as HashMap;
use std::sync::Arc;

use crate::core::name::Name;

use super::varint::{put_bytes, put_delta, put_u64, Reader};
use crate::core::error::DecodeError;
use crate::core::event::{Event, Extra, Meta};
use crate::core::event_ref::EventRef;
use crate::core::id::{ActorId, EventId};

pub const FLAG_KEY: u8 = 1;
pub const FLAG_META: u8 = 2;
pub const FLAG_IKEY: u8 = 4;
pub const FLAG_DEPS: u8 = 8;
const FLAGS_KNOWN: u8 = FLAG_KEY | FLAG_META | FLAG_IKEY | FLAG_DEPS;

/// Actors of one batch or message, sorted ascending (the canonical order); an actor's
/// index is its position (found by binary search: no hash map instance for this type).
#[derive(Debug, Default)]
pub struct ActorTable {
    pub actors: Vec<ActorId>,
}

impl ActorTable {
    /// The table of every actor named by `events` (ids and deps) and by `extra`.
    pub fn build<'a>(events: &[EventRef<'_>], extra: impl IntoIterator<Item = &'a ActorId>) -> Self {
        let mut actors: Vec<ActorId> = extra.into_iter().copied().collect();
        for e in events {
            actors.push(e.id().actor);
            actors.extend(e.deps().iter().map(|d| d.actor));
        }
        crate::core::sort::sort_by(&mut actors, Ord::cmp);
        actors.dedup();
        Self::from_sorted(actors)
    }

    pub fn from_sorted(actors: Vec<ActorId>) -> Self {
        ActorTable { actors }
    }

    /// The index of `a`, which must be in the table.
    #[inline]
    pub fn index_of(&self, a: &ActorId) -> u64 {
        match self.actors.binary_search(a) {
            Ok(i) => i as u64,
            Err(_) => panic!("actor not in the table"),
        }
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        put_u64(out, self.actors.len() as u64);
        for a in &self.actors {
            out.extend_from_slice(a.as_bytes());
        }
    }

    /// Reads a table; the actors must be strictly ascending (one canonical encoding).
    pub fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let n = r.count(16, "actor count")?;
        let mut actors = Vec::with_capacity(n);
        for _ in 0..n {
            let a = ActorId(r.array::<16>()?);
            if actors.last().is_some_and(|p| *p >= a) {
                return Err(r.malformed("actor table order"));
            }
            actors.push(a);
        }
        Ok(Self::from_sorted(actors))
    }
}

/// Writes the raw (uncompressed) body of a chunk holding `events`.
pub fn encode_body<'e>(events: &[EventRef<'e>], actors: &ActorTable, out: &mut Vec<u8>) {
    // String table: stream, type, key, meta names and values, in order of first use.
    let mut strings: Vec<&'e str> = Vec::new();
    // `usize` values: the same map type as the append's batch keys (one instance).
    let mut index: HashMap<&'e str, usize> = HashMap::default();
    let mut intern = |s: &'e str| -> u64 {
        *index.entry(s).or_insert_with(|| {
            strings.push(s);
            strings.len() - 1
        }) as u64
    };
    let mut refs: Vec<[u64; 3]> = Vec::with_capacity(events.len());
    let mut meta_refs: Vec<(u64, u64)> = Vec::new();
    for e in events {
        let (stream, kind) = (intern(e.stream()), intern(e.kind()));
        refs.push([stream, kind, e.key().map_or(0, |k| intern(k))]);
        for (k, v) in e.meta() {
            meta_refs.push((intern(k), intern(v)));
        }
    }
    put_u64(out, events.len() as u64);
    put_u64(out, strings.len() as u64);
    for s in &strings {
        put_bytes(out, s.as_bytes());
    }
    for e in events {
        out.push(flags_of(*e));
    }
    // One actor-table lookup per event (a batch usually has one author: skip the map).
    let author: Vec<u32> = match actors.actors.as_slice() {
        [only] if events.iter().all(|e| e.id().actor == *only) => vec![0; events.len()],
        _ => events.iter().map(|e| actors.index_of(&e.id().actor) as u32).collect(),
    };
    for a in &author {
        put_u64(out, u64::from(*a));
    }
    let mut prev = vec![[0u64; 3]; actors.actors.len()];
    for (i, field) in [|e: EventRef<'_>| e.id().seq, |e: EventRef<'_>| e.lamport(), |e: EventRef<'_>| e.time()]
        .into_iter()
        .enumerate()
    {
        for (e, a) in events.iter().zip(&author) {
            let p = &mut prev[*a as usize][i];
            put_delta(out, *p, field(*e));
            *p = field(*e);
        }
    }
    for col in 0..2 {
        for r in &refs {
            put_u64(out, r[col]);
        }
    }
    for (e, r) in events.iter().zip(&refs) {
        if e.key().is_some() {
            put_u64(out, r[2]);
        }
    }
    let mut meta_refs = meta_refs.into_iter();
    for e in events.iter().filter(|e| !e.meta().is_empty()) {
        put_u64(out, e.meta().len() as u64);
        for (k, v) in meta_refs.by_ref().take(e.meta().len()) {
            put_u64(out, k);
            put_u64(out, v);
        }
    }
    for k in events.iter().filter_map(|e| e.idempotency_key()) {
        put_bytes(out, k.as_bytes());
    }
    for e in events.iter().filter(|e| !e.deps().is_empty()) {
        put_u64(out, e.deps().len() as u64);
        for d in e.deps().iter() {
            put_u64(out, actors.index_of(&d.actor));
            put_u64(out, d.seq);
        }
    }
    for e in events {
        put_u64(out, e.data().len() as u64);
    }
    for e in events {
        out.extend_from_slice(e.data().as_bytes());
    }
}

fn flags_of(e: EventRef<'_>) -> u8 {
    let mut f = 0;
    if e.key().is_some() {
        f |= FLAG_KEY;
    }
    if !e.meta().is_empty() {
        f |= FLAG_META;
    }
    if e.idempotency_key().is_some() {
        f |= FLAG_IKEY;
    }
    if !e.deps().is_empty() {
        f |= FLAG_DEPS;
    }
    f
}

/// Rough raw size of an event in a body, to cut chunks near a target size.
pub fn estimate(e: EventRef<'_>) -> usize {
    12 + e.data().len()
        + e.deps().len() * 4
        + e.idempotency_key().map_or(0, |k| k.len() + 1)
        + e.meta().iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() / 4
}

/// The names decoded so far from one batch or message. Chunks carry their own string
/// tables, so the same stream, type and key names come again in every chunk; each distinct
/// text becomes one [`Name`] that every chunk shares (a lookup instead of two allocations,
/// and the log's interning then meets one pointer per name instead of one per chunk). A
/// map of the interner's type with unused values, not a set: each hash table type is its
/// own copy of hashbrown in the wasm (`core::hash`).
#[derive(Default)]
pub struct Strings(HashMap<Name, u32>);

impl Strings {
    /// The name whose text is `s`.
    fn name(&mut self, s: &str) -> Name {
        if let Some((n, _)) = self.0.get_key_value(s) {
            return n.clone();
        }
        let n = Name::from(s);
        self.0.insert(n.clone(), 0);
        n
    }
}

/// Reads a raw chunk body (all of it: trailing bytes are an error) and appends its events
/// to `out`. On error, `out` may hold some of the chunk's events: the caller truncates.
pub fn decode_body(
    r: &mut Reader,
    actors: &ActorTable,
    names: &mut Strings,
    out: &mut Vec<Event>,
) -> Result<(), DecodeError> {
    // Every event takes at least 8 bytes: flags, actor, 3 clocks, stream, type, data length.
    let n = r.count(8, "event count")?;
    if n == 0 {
        return Err(r.malformed("empty chunk"));
    }
    let ns = r.count(1, "string count")?;
    let mut strings: Vec<Name> = Vec::with_capacity(ns);
    for _ in 0..ns {
        strings.push(names.name(r.str("string")?));
    }
    let flags = r.take(n)?;
    if let Some(i) = flags.iter().position(|f| f & !FLAGS_KNOWN != 0) {
        return Err(DecodeError::Malformed { what: "event flags", at: r.offset() - n + i });
    }
    let flagged = |bit: u8| flags.iter().filter(|f| *f & bit != 0).count();
    let na = actors.actors.len();
    let mut actor = Vec::with_capacity(n);
    for _ in 0..n {
        actor.push(r.index(na, "actor index")?);
    }
    let mut clocks = vec![[0u64; 3]; n];
    let mut prev = vec![[0u64; 3]; na];
    for field in 0..3 {
        for (c, a) in clocks.iter_mut().zip(&actor) {
            let p = &mut prev[*a][field];
            *p = r.delta(*p)?;
            c[field] = *p;
        }
    }
    let mut name_ix = Vec::with_capacity(n);
    for _ in 0..n {
        name_ix.push([r.index(ns, "stream index")?, 0]);
    }
    for nm in name_ix.iter_mut() {
        nm[1] = r.index(ns, "type index")?;
    }
    // The optional fields are listed for the flagged events only: so are these columns.
    let rows = flagged(FLAG_KEY);
    let mut keys: Vec<Name> = Vec::with_capacity(rows);
    for _ in 0..rows {
        keys.push(strings[r.index(ns, "key index")?].clone());
    }
    let rows = flagged(FLAG_META);
    let mut metas: Vec<Meta> = Vec::with_capacity(rows);
    for _ in 0..rows {
        let count = r.count(2, "meta count")?;
        if count == 0 {
            return Err(r.malformed("empty meta"));
        }
        let mut m = Meta::new();
        for _ in 0..count {
            let k = r.index(ns, "meta key index")?;
            let v = r.index(ns, "meta value index")?;
            if m.insert(strings[k].to_string(), strings[v].to_string()).is_some() {
                return Err(r.malformed("duplicate meta key"));
            }
        }
        metas.push(m);
    }
    let rows = flagged(FLAG_IKEY);
    let mut ikeys: Vec<Arc<str>> = Vec::with_capacity(rows);
    for _ in 0..rows {
        ikeys.push(Arc::from(r.str("idempotency key")?));
    }
    let rows = flagged(FLAG_DEPS);
    let mut deps: Vec<Box<[EventId]>> = Vec::with_capacity(rows);
    for _ in 0..rows {
        let count = r.count(2, "dependency count")?;
        if count == 0 {
            return Err(r.malformed("empty dependencies"));
        }
        let mut v = Vec::with_capacity(count);
        for _ in 0..count {
            let a = actors.actors[r.index(na, "dependency actor")?];
            v.push(EventId::new(a, r.u64()?));
        }
        deps.push(v.into_boxed_slice());
    }
    let mut lens = Vec::with_capacity(n);
    let mut total: u64 = 0;
    for _ in 0..n {
        let l = r.u64()?;
        total = total.saturating_add(l);
        lens.push(l as usize);
    }
    if total != r.remaining() as u64 {
        return Err(if total > r.remaining() as u64 { r.truncated() } else { r.malformed("data length") });
    }
    let data_at = r.offset();
    let data = data_texts(r.take(total as usize)?, &lens, data_at)?;
    out.reserve(n);
    let (mut keys, mut metas, mut ikeys, mut deps) =
        (keys.into_iter(), metas.into_iter(), ikeys.into_iter(), deps.into_iter());
    let mut pos = 0;
    for ((((a, c), nm), len), f) in actor.into_iter().zip(clocks).zip(name_ix).zip(lens).zip(flags) {
        let (key, meta, ikey, dep) = (
            if f & FLAG_KEY != 0 { keys.next() } else { None },
            if f & FLAG_META != 0 { metas.next().unwrap_or_default() } else { Meta::new() },
            if f & FLAG_IKEY != 0 { ikeys.next() } else { None },
            if f & FLAG_DEPS != 0 { deps.next().unwrap_or_default() } else { Box::default() },
        );
        out.push(Event {
            id: EventId::new(actors.actors[a], c[0]),
            stream: strings[nm[0]].clone(),
            kind: strings[nm[1]].clone(),
            key,
            data: data.get(pos..pos + len).unwrap_or_default().into(),
            lamport: c[1],
            time: c[2],
            extra: Extra::boxed(meta, ikey, dep),
        });
        pos += len;
    }
    Ok(())
}

/// The chunk's data column as text, checked to split into `lens` UTF-8 texts: one pass
/// over the whole column (payloads are short, and a check per payload cost more per byte),
/// then a character-boundary test per cut. `at`: the column's offset, for errors,
/// which name the first event whose text is not UTF-8.
fn data_texts<'a>(column: &'a [u8], lens: &[usize], at: usize) -> Result<&'a str, DecodeError> {
    let whole = std::str::from_utf8(column);
    let mut pos = 0;
    for &len in lens {
        let end = pos + len;
        let fine = match whole {
            Ok(w) => w.is_char_boundary(end),
            Err(_) => column.get(pos..end).is_some_and(|t| std::str::from_utf8(t).is_ok()),
        };
        if !fine {
            return Err(DecodeError::Malformed { what: "data", at: at + pos });
        }
        pos = end;
    }
    // Texts that are all UTF-8 make a column that is: `whole` failed only if one did not.
    whole.map_err(|_| DecodeError::Malformed { what: "data", at })
}
