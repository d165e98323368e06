//! A consumer's durable progress and its byte format.
//!
//! Progress is the set of events the consumer is done with (handled, or skipped because
//! the type filter does not select them). That set is always **causally closed** (an
//! event is only marked done once its whole causal past is), so a version vector names it
//! exactly: no list of handled ids is needed, however events land in the total order.
//! An event that arrives by sync and sorts before events already handled is simply not in
//! the vector yet, and [`Log::missing_from`](crate::core::Log::missing_from) finds it.
//!
//! Failed events are kept with their attempt count, next retry time and last error, so a
//! reload keeps the backoff and the error to report.
//!
//! # Byte layout (version 1)
//!
//! ```text
//! +----+----+----+----+------+
//! | 'E'| 'V'| 'L'| 'C'| 0x01 |   magic "EVLC", format version 1
//! +----+----+----+----+------+
//! | T varint | T × (len varint, UTF-8 type name)                 |  type filter (sorted)
//! | A varint | A × (actor id 16 bytes, seq varint)               |  done: version vector
//! | F varint | F × (actor 16 B, seq varint, attempts varint,     |  failures, by id
//! |          |      retry_at varint (ms), len varint, UTF-8 error)|
//! +----------+----------------------------------------------------+
//! ```
//!
//! Varints are unsigned LEB128. Nothing may follow the last failure.

use crate::core::codec::varint::{put_bytes, put_u64, Reader};
use crate::core::error::DecodeError;
use crate::core::id::{ActorId, EventId};
use crate::core::version::VersionVector;

pub const PROGRESS_MAGIC: &[u8; 4] = b"EVLC";
pub const PROGRESS_VERSION: u8 = 1;

/// When a failed event is tried again: exponential backoff with a cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure (ms).
    pub base_ms: u64,
    /// The delay never exceeds this (ms).
    pub max_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { base_ms: 1_000, max_ms: 5 * 60_000 }
    }
}

impl RetryPolicy {
    /// The delay after the `attempts`-th failure: `base · 2^(attempts-1)`, capped.
    pub fn delay(&self, attempts: u32) -> u64 {
        let shift = attempts.saturating_sub(1).min(63);
        self.base_ms.saturating_mul(1u64 << shift).min(self.max_ms)
    }
}

/// One event a handler failed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// How many times the handler failed on it.
    pub attempts: u32,
    /// Not offered again before this time (ms since the epoch).
    pub retry_at: u64,
    /// The last error, for reporting.
    pub error: String,
}

/// Failures by event id, in id order. A sorted list: a consumer has a few failures at a
/// time, and a `BTreeMap` instance for this one key/value type cost the wasm package
/// several KB (docs/size.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failures(Vec<(EventId, Failure)>);

impl Failures {
    fn find(&self, id: &EventId) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(id))
    }

    pub fn get(&self, id: &EventId) -> Option<&Failure> {
        self.find(id).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, id: &EventId) -> bool {
        self.find(id).is_ok()
    }

    /// Sets the failure of `id`; returns the one it replaces.
    pub fn insert(&mut self, id: EventId, f: Failure) -> Option<Failure> {
        match self.find(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, f)),
            Err(i) => {
                self.0.insert(i, (id, f));
                None
            }
        }
    }

    /// The failure of `id`, inserted as `f` first when there is none.
    pub fn get_or_insert(&mut self, id: EventId, f: Failure) -> &mut Failure {
        let i = match self.find(&id) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (id, f));
                i
            }
        };
        &mut self.0[i].1
    }

    pub fn remove(&mut self, id: &EventId) -> Option<Failure> {
        self.find(id).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In id order.
    pub fn iter(&self) -> impl Iterator<Item = (&EventId, &Failure)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &Failure> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl std::ops::Index<&EventId> for Failures {
    type Output = Failure;

    /// Panics when `id` has no failure, as a map's index does.
    fn index(&self, id: &EventId) -> &Failure {
        self.get(id).expect("no failure for this id")
    }
}

/// What a consumer has done: events done (a causally closed set) and current failures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Sorted type filter the progress was made with (empty: every type).
    pub types: Vec<String>,
    pub done: VersionVector,
    pub failures: Failures,
}

impl Progress {
    /// The versioned bytes drawn in the module docs.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 24 * self.done.len());
        out.extend_from_slice(PROGRESS_MAGIC);
        out.push(PROGRESS_VERSION);
        put_u64(&mut out, self.types.len() as u64);
        for t in &self.types {
            put_bytes(&mut out, t.as_bytes());
        }
        put_u64(&mut out, self.done.len() as u64);
        for (a, s) in self.done.iter() {
            out.extend_from_slice(a.as_bytes());
            put_u64(&mut out, s);
        }
        put_u64(&mut out, self.failures.len() as u64);
        for (id, f) in self.failures.iter() {
            out.extend_from_slice(id.actor.as_bytes());
            put_u64(&mut out, id.seq);
            put_u64(&mut out, f.attempts as u64);
            put_u64(&mut out, f.retry_at);
            put_bytes(&mut out, f.error.as_bytes());
        }
        out
    }

    /// Reads [`encode`](Self::encode)'s bytes; a typed error, never a panic, on anything else.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.take(4).map_err(|_| DecodeError::BadMagic)? != PROGRESS_MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = r.u8()?;
        if version != PROGRESS_VERSION {
            return Err(DecodeError::UnsupportedVersion(version, PROGRESS_VERSION));
        }
        let mut p = Progress::default();
        for _ in 0..r.count(1, "consumer type count")? {
            p.types.push(r.str("consumer type")?.to_owned());
        }
        for _ in 0..r.count(17, "consumer version")? {
            let actor = ActorId(r.array()?);
            let seq = r.u64()?;
            if seq == 0 || p.done.get(&actor) != 0 {
                return Err(r.malformed("consumer version entry"));
            }
            p.done.set(actor, seq);
        }
        for _ in 0..r.count(21, "consumer failures")? {
            let id = EventId::new(ActorId(r.array()?), r.u64()?);
            let attempts = u32::try_from(r.u64()?).map_err(|_| r.malformed("failure attempts"))?;
            let retry_at = r.u64()?;
            let error = r.str("failure error")?.to_owned();
            if id.seq == 0 || p.failures.insert(id, Failure { attempts, retry_at, error }).is_some() {
                return Err(r.malformed("failure id"));
            }
        }
        if !r.is_empty() {
            return Err(r.malformed("trailing bytes"));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_and_rejects_damage() {
        let a = ActorId::from_u128(7);
        let mut p = Progress { types: vec!["A".into(), "B".into()], ..Default::default() };
        p.done.set(a, 12);
        p.failures.insert(EventId::new(a, 13), Failure { attempts: 3, retry_at: 99, error: "boom".into() });
        let bytes = p.encode();
        assert_eq!(Progress::decode(&bytes).unwrap(), p);
        for cut in 0..bytes.len() {
            assert!(Progress::decode(&bytes[..cut]).is_err(), "cut at {cut} decoded");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(Progress::decode(&extra).is_err());
        let mut newer = bytes;
        newer[4] = 2;
        assert_eq!(Progress::decode(&newer), Err(DecodeError::UnsupportedVersion(2, 1)));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy { base_ms: 100, max_ms: 1_000 };
        let delays: Vec<u64> = (1..=6).map(|n| p.delay(n)).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(p.delay(200), 1_000);
    }
}
