//! The payload of a document change event: an automerge change, stored compactly.
//!
//! An automerge change chunk repeats what its event already says or what the document
//! can rebuild: its actor (the event's actor), its dependencies as 32-byte SHA-256 hashes
//! (random, so no compression reaches them), its first op counter, and a 4-byte checksum.
//! The compact payload keeps only what cannot be rebuilt and names the dependencies by
//! their automerge identity `(actor, seq)`; reading it rebuilds the exact change chunk,
//! byte for byte, so the change hash (the SHA-256 of the chunk) is automerge's own.
//!
//! ## Formats
//!
//! `event.data` is JSON (the log keeps payloads as JSON text), in one of two shapes:
//!
//! - **legacy** `{"change": "<base64, padded>"}`: the automerge change chunk as automerge
//!   wrote it. Still read; still written for a change the compact form cannot name (a
//!   dependency that has no event yet, a foreign actor).
//! - **compact** `"<base64, unpadded>"` (a JSON string) of the bytes below.
//!
//! ```text
//! compact payload, version 1
//! +------+-------+---------+-----------+--------------+-------------+--------------+
//! | 0xC1 | flags | seq     | [time]    | [message]    | [others]    | [dep actors] |
//! | 1 B  | 1 B   | uleb128 | sleb128   | uleb len,    | uleb count, | uleb count,  |
//! |      |       |         | flag 0x01 | UTF-8        | (uleb len,  | (uleb len,   |
//! |      |       |         |           | flag 0x02    |  bytes)*    |  bytes)*     |
//! |      |       |         |           |              | flag 0x04   | flag 0x08    |
//! +------+-------+---------+-----------+--------------+-------------+--------------+
//! +------------+-----------------------------+-----------------+---------------------+
//! | deps count | per dep: actor ref, seq gap | [start op diff] | rest                |
//! | uleb128    | uleb128, sleb128            | sleb128         | verbatim: op column |
//! |            |                             | flag 0x10       | specs, op columns,  |
//! |            |                             |                 | extra bytes         |
//! +------------+-----------------------------+-----------------+---------------------+
//! ```
//!
//! - `0xC1`: magic (high nibble `0xC`, "compact change") and version (low nibble, 1).
//!   Other values are refused with [`PayloadError::Version`]; flag bits not listed are
//!   refused too, so a later version can use them.
//! - `seq`: the change's automerge seq. Absent fields are 0 (time, start op diff) or
//!   empty (message, actor lists).
//! - Actor refs index the table `[event actor] ++ others ++ dep actors`: `others` are the
//!   change's other actors (in the chunk, referenced by its op columns), `dep actors`
//!   those only named by a dependency.
//! - A dependency is the change `(actor, seq - gap)`, found in the document's index of
//!   applied changes ([`super::index`]); its hash is looked up there. Dependencies are
//!   written hash-sorted in the chunk, as automerge writes them.
//! - The first op counter is `1 + max(last op of each dependency) + diff` (automerge
//!   starts a change right after the highest op it has, which is the highest op of the
//!   heads it depends on, so `diff` is 0 for changes automerge made).
//!
//! The rebuilt chunk (automerge's change chunk layout):
//!
//! ```text
//! 85 6f 4a 83 | checksum: first 4 B of the hash | 01 | uleb body length | body
//! body = uleb deps count, 32 B hash each | uleb actor length, actor | uleb seq
//!      | uleb start op | sleb time | uleb message length, message
//!      | uleb others count, (uleb length, actor)* | rest
//! hash = SHA-256(01 | uleb body length | body)
//! ```
//!
//! Writing verifies the round trip (the compact form must rebuild the very same chunk,
//! given the document's index), and falls back to the legacy shape otherwise, so a
//! compact payload never stands for another change than the one automerge made.

use automerge::{ActorId, Change, ChangeHash};
use base64::Engine;
use sha2_11::{Digest, Sha256};
use thiserror::Error;

use super::index::Index;
use crate::core::EventId;

/// Is this recorded event in the causal past of the event being read?
pub(crate) type Past<'a> = &'a dyn Fn(EventId) -> bool;

/// Magic and version of the compact payload.
pub(crate) const COMPACT_V1: u8 = 0xC1;
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const F_TIME: u8 = 0x01;
const F_MESSAGE: u8 = 0x02;
const F_OTHERS: u8 = 0x04;
const F_DEP_ACTORS: u8 = 0x08;
const F_START: u8 = 0x10;
const F_ALL: u8 = F_TIME | F_MESSAGE | F_OTHERS | F_DEP_ACTORS | F_START;

/// Why a change payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PayloadError {
    #[error("payload is not JSON of a document change")]
    Json,
    #[error("no \"change\" field")]
    NoChange,
    #[error("bad base64")]
    Base64,
    #[error("unknown compact payload version byte {0:#04x}")]
    Version(u8),
    #[error("unknown flags {0:#04x}")]
    Flags(u8),
    #[error("payload ends early")]
    Truncated,
    #[error("number out of range")]
    Range,
    #[error("message is not UTF-8")]
    Utf8,
    #[error("actor ref {0} is not in the actor table")]
    ActorRef(u64),
    #[error("dependency {seq} of actor {actor} is not a change of the event's causal past")]
    UnknownDependency { actor: String, seq: u64 },
    #[error("not an automerge change: {0}")]
    Automerge(String),
}

/// The change carried by an event's `data`, given the document's applied changes.
/// `past` says which recorded events a compact dependency may name: the event's causal
/// past, so every replica resolves the same names whatever else it has read
/// (a dependency outside it is [`PayloadError::UnknownDependency`]).
pub(crate) fn read(data: &str, event_actor: &ActorId, index: &Index, past: Past<'_>) -> Result<Change, PayloadError> {
    let bytes = if data.starts_with('"') {
        let b64: String = serde_json::from_str(data).map_err(|_| PayloadError::Json)?;
        let compact = base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64).map_err(|_| PayloadError::Base64)?;
        rebuild(&compact, event_actor, index, past)?
    } else {
        let v: serde_json::Value = serde_json::from_str(data).map_err(|_| PayloadError::Json)?;
        let b64 = v.get("change").and_then(|c| c.as_str()).ok_or(PayloadError::NoChange)?;
        base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| PayloadError::Base64)?
    };
    Change::from_bytes(bytes).map_err(|e| PayloadError::Automerge(e.to_string()))
}

/// The event data for `change`, made by `event_actor`: compact when the index can name
/// its dependencies, legacy otherwise.
pub(crate) fn write(change: &Change, event_actor: &ActorId, index: &Index) -> String {
    match compact(change.raw_bytes(), event_actor, index) {
        Some(c) => {
            let mut data = String::with_capacity(c.len() * 4 / 3 + 4);
            data.push('"');
            base64::engine::general_purpose::STANDARD_NO_PAD.encode_string(c, &mut data);
            data.push('"');
            data
        }
        None => legacy(change),
    }
}

/// The legacy payload of `change`.
pub(crate) fn legacy(change: &Change) -> String {
    serde_json::json!({ "change": base64::engine::general_purpose::STANDARD.encode(change.raw_bytes()) }).to_string()
}

/// The fields of a change chunk's body.
struct Chunk<'a> {
    deps: Vec<ChangeHash>,
    actor: &'a [u8],
    seq: u64,
    start_op: u64,
    time: i64,
    message: &'a [u8],
    others: Vec<&'a [u8]>,
    rest: &'a [u8],
}

/// The fields of a change chunk, and the length of its body (the end of `raw`).
fn parse_chunk(raw: &[u8]) -> Result<(Chunk<'_>, usize), PayloadError> {
    let mut r = Reader(raw);
    if r.take(4)? != MAGIC {
        return Err(PayloadError::Automerge("not a change chunk".into()));
    }
    r.take(4)?;
    if r.byte()? != CHUNK_CHANGE {
        return Err(PayloadError::Automerge("not a change chunk".into()));
    }
    let len = r.len()?;
    if len != r.0.len() {
        return Err(PayloadError::Automerge("bytes after the change chunk".into()));
    }
    let mut r = Reader(r.take(len)?);
    let n = r.count()?;
    let mut deps = Vec::new();
    for _ in 0..n {
        deps.push(ChangeHash(r.take(32)?.try_into().map_err(|_| PayloadError::Truncated)?));
    }
    let actor = r.bytes()?;
    let (seq, start_op, time) = (r.uleb()?, r.uleb()?, r.sleb()?);
    let message = r.bytes()?;
    let n = r.count()?;
    let mut others = Vec::new();
    for _ in 0..n {
        others.push(r.bytes()?);
    }
    Ok((Chunk { deps, actor, seq, start_op, time, message, others, rest: r.0 }, len))
}

/// The compact form of the change chunk `raw`, or `None` if it cannot stand for it.
fn compact(raw: &[u8], event_actor: &ActorId, index: &Index) -> Option<Vec<u8>> {
    let (c, len) = parse_chunk(raw).ok()?;
    if c.actor != event_actor.as_ref() {
        return None;
    }
    // Actor refs: 0 the change's actor, then its other actors, then `dep_actors` (no
    // allocation in the common case: no other actor).
    let mut dep_actors: Vec<&[u8]> = Vec::new();
    let mut deps = Vec::with_capacity(c.deps.len());
    let mut highest = 0u64;
    for h in &c.deps {
        let r = index.by_hash(h)?;
        let actor = index.actor(&r).as_ref();
        let at = if actor == c.actor {
            0
        } else if let Some(i) = c.others.iter().position(|a| *a == actor) {
            1 + i
        } else if let Some(i) = dep_actors.iter().position(|a| *a == actor) {
            1 + c.others.len() + i
        } else {
            dep_actors.push(actor);
            c.others.len() + dep_actors.len()
        };
        deps.push((at as u64, i128::from(c.seq) - i128::from(r.seq)));
        highest = highest.max(r.max_op);
    }
    let mut flags = 0;
    let start_diff = i128::from(c.start_op) - i128::from(highest) - 1;
    for (on, bit) in [
        (c.time != 0, F_TIME),
        (!c.message.is_empty(), F_MESSAGE),
        (!c.others.is_empty(), F_OTHERS),
        (!dep_actors.is_empty(), F_DEP_ACTORS),
        (start_diff != 0, F_START),
    ] {
        if on {
            flags |= bit;
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&[COMPACT_V1, flags]);
    uleb(&mut out, c.seq);
    if c.time != 0 {
        sleb(&mut out, i128::from(c.time));
    }
    if !c.message.is_empty() {
        bytes(&mut out, c.message);
    }
    for list in [&c.others, &dep_actors] {
        if !list.is_empty() {
            uleb(&mut out, list.len() as u64);
            for a in list.iter() {
                bytes(&mut out, a);
            }
        }
    }
    uleb(&mut out, deps.len() as u64);
    for (at, gap) in deps {
        uleb(&mut out, at);
        sleb(&mut out, gap);
    }
    if start_diff != 0 {
        sleb(&mut out, start_diff);
    }
    out.extend_from_slice(c.rest);
    // Only a payload that reads back as this very chunk stands for it. Equal bodies make
    // equal chunks (the header is the body's length and hash), so the hash is not needed.
    (rebuild_body(&out, event_actor, index, &|_| true).ok()? == raw[raw.len() - len..]).then_some(out)
}

/// The change chunk a compact payload stands for.
pub(crate) fn rebuild(
    compact: &[u8],
    event_actor: &ActorId,
    index: &Index,
    past: Past<'_>,
) -> Result<Vec<u8>, PayloadError> {
    let body = rebuild_body(compact, event_actor, index, past)?;
    let mut head = vec![CHUNK_CHANGE];
    uleb(&mut head, body.len() as u64);
    let hash = Sha256::new().chain_update(&head).chain_update(&body).finalize();
    let mut out = Vec::with_capacity(8 + head.len() + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&hash[..4]);
    out.extend_from_slice(&head);
    out.extend_from_slice(&body);
    Ok(out)
}

/// The body of the change chunk a compact payload stands for.
fn rebuild_body(compact: &[u8], event_actor: &ActorId, index: &Index, past: Past<'_>) -> Result<Vec<u8>, PayloadError> {
    let mut r = Reader(compact);
    let version = r.byte()?;
    if version != COMPACT_V1 {
        return Err(PayloadError::Version(version));
    }
    let flags = r.byte()?;
    if flags & !F_ALL != 0 {
        return Err(PayloadError::Flags(flags));
    }
    let seq = r.uleb()?;
    let time = if flags & F_TIME != 0 { r.sleb()? } else { 0 };
    let message = if flags & F_MESSAGE != 0 { r.bytes()? } else { &[] };
    std::str::from_utf8(message).map_err(|_| PayloadError::Utf8)?;
    // Actor refs: 0 the event's actor, i + 1 the i-th of `more` (others, then dep actors).
    let mut more: Vec<&[u8]> = Vec::new();
    let mut n_others = 0;
    for bit in [F_OTHERS, F_DEP_ACTORS] {
        if flags & bit != 0 {
            let n = r.count()?;
            for _ in 0..n {
                more.push(r.bytes()?);
            }
            if bit == F_OTHERS {
                n_others = n;
            }
        }
    }
    let others = &more[..n_others];
    let n = r.count()?;
    let mut deps = Vec::new();
    let mut highest = 0u64;
    for _ in 0..n {
        let at = r.uleb()?;
        let actor = match usize::try_from(at) {
            Ok(0) => event_actor.as_ref(),
            Ok(i) => *more.get(i - 1).ok_or(PayloadError::ActorRef(at))?,
            Err(_) => return Err(PayloadError::ActorRef(at)),
        };
        let dep_seq = u64::try_from(i128::from(seq) - r.sleb_i128()?).map_err(|_| PayloadError::Range)?;
        let actor = ActorId::from(actor);
        let applied = index
            .by_seq(&actor, dep_seq)
            .filter(|a| past(a.event))
            .ok_or_else(|| PayloadError::UnknownDependency { actor: actor.to_string(), seq: dep_seq })?;
        deps.push(applied.hash);
        highest = highest.max(applied.max_op);
    }
    deps.sort_unstable();
    let diff = if flags & F_START != 0 { r.sleb_i128()? } else { 0 };
    let start_op = u64::try_from(i128::from(highest) + 1 + diff).map_err(|_| PayloadError::Range)?;

    let mut body = Vec::with_capacity(compact.len() + 32 * deps.len() + 64);
    uleb(&mut body, deps.len() as u64);
    for d in &deps {
        body.extend_from_slice(&d.0);
    }
    bytes(&mut body, event_actor.as_ref());
    uleb(&mut body, seq);
    uleb(&mut body, start_op);
    sleb(&mut body, i128::from(time));
    bytes(&mut body, message);
    uleb(&mut body, others.len() as u64);
    for a in others {
        bytes(&mut body, a);
    }
    body.extend_from_slice(r.0);
    Ok(body)
}

pub(crate) fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Signed LEB128 (automerge's encoding of the change time, and ours of differences).
pub(crate) fn sleb(out: &mut Vec<u8>, mut v: i128) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    uleb(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// A cursor over untrusted bytes: every read is checked.
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], PayloadError> {
        if n > self.0.len() {
            return Err(PayloadError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, PayloadError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn uleb(&mut self) -> Result<u64, PayloadError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(PayloadError::Range);
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PayloadError::Range)
    }

    pub(crate) fn sleb_i128(&mut self) -> Result<i128, PayloadError> {
        let mut v = 0i128;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= i128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if b & 0x40 != 0 {
                    v |= -1i128 << (shift + 7);
                }
                return Ok(v);
            }
        }
        Err(PayloadError::Range)
    }

    fn sleb(&mut self) -> Result<i64, PayloadError> {
        i64::try_from(self.sleb_i128()?).map_err(|_| PayloadError::Range)
    }

    /// A length that fits in what is left.
    fn len(&mut self) -> Result<usize, PayloadError> {
        let n = usize::try_from(self.uleb()?).map_err(|_| PayloadError::Range)?;
        if n > self.0.len() {
            return Err(PayloadError::Truncated);
        }
        Ok(n)
    }

    /// A count of items of at least one byte each (bounds allocations by the input).
    fn count(&mut self) -> Result<usize, PayloadError> {
        self.len()
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], PayloadError> {
        let n = self.len()?;
        self.take(n)
    }
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
