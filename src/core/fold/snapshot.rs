//! The snapshot format: a projection's state and what it covers, as bytes.
//!
//! Opening a long log should not replay all of it: a storage layer persists a snapshot now
//! and then, and on open [`Projection::restore`](super::Projection::restore) starts from
//! it and replays only the events it does not cover. A snapshot covers the events its
//! version vector names (a causally closed set); `position` is the order key of the last
//! of them in the total order.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "ELSN"
//! 4       1     format version (1)
//! 5       1     flags: bit 0 = has a position; other bits 0
//! 6       8     position lamport, u64 LE   ┐ order key of the last covered event
//! 14      16    position actor             │ (all zero when there is none)
//! 30      8     position seq, u64 LE       ┘
//! 38      8     matched, u64 LE: events folded into the state (for `filter.limit`)
//! 46      4     n, u32 LE
//! 50      n     fingerprint, UTF-8: the fold's fingerprint, "\n", the filter as JSON
//! ..      4     m, u32 LE
//! ..      24·m  version vector: m × (actor [16], seq u64 LE), actors increasing, seq > 0
//! ..      4     k, u32 LE
//! ..      k     state, as the fold's `StateCodec` encodes it
//! ..      8     FNV-1a 64 of every byte before it, u64 LE
//! ```
//!
//! Decoding never panics and never allocates more than the input's size: every length is
//! checked against the bytes that remain.

use crate::core::error::DecodeError;
use crate::core::event::OrderKey;
use crate::core::id::ActorId;
use crate::core::version::VersionVector;

pub const SNAPSHOT_MAGIC: [u8; 4] = *b"ELSN";
pub const SNAPSHOT_VERSION: u8 = 1;

/// A decoded snapshot (the state still as the fold's bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub position: Option<OrderKey>,
    pub matched: u64,
    /// The events the state covers.
    pub version: VersionVector,
    pub fingerprint: String,
    pub state: Vec<u8>,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Snapshot {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.fingerprint.len() + 24 * self.version.len() + self.state.len());
        out.extend_from_slice(&SNAPSHOT_MAGIC);
        out.push(SNAPSHOT_VERSION);
        out.push(u8::from(self.position.is_some()));
        let (l, a, s) = self.position.unwrap_or((0, [0; 16], 0));
        out.extend_from_slice(&l.to_le_bytes());
        out.extend_from_slice(&a);
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&self.matched.to_le_bytes());
        put_bytes(&mut out, self.fingerprint.as_bytes());
        out.extend_from_slice(&(self.version.len() as u32).to_le_bytes());
        for (actor, seq) in self.version.iter() {
            out.extend_from_slice(&actor.0);
            out.extend_from_slice(&seq.to_le_bytes());
        }
        put_bytes(&mut out, &self.state);
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Snapshot, DecodeError> {
        if !bytes.starts_with(&SNAPSHOT_MAGIC) {
            let prefix = bytes.len() < SNAPSHOT_MAGIC.len() && SNAPSHOT_MAGIC.starts_with(bytes);
            return Err(if prefix { DecodeError::Truncated(bytes.len()) } else { DecodeError::BadMagic });
        }
        match bytes.get(4) {
            None => return Err(DecodeError::Truncated(bytes.len())),
            Some(&v) if v != SNAPSHOT_VERSION => return Err(DecodeError::UnsupportedVersion(v, SNAPSHOT_VERSION)),
            _ => {}
        }
        let body_len = bytes.len().checked_sub(8).filter(|n| *n >= 5).ok_or(DecodeError::Truncated(bytes.len()))?;
        let (body, sum) = bytes.split_at(body_len);
        if fnv1a(body).to_le_bytes() != sum {
            return Err(DecodeError::Checksum("snapshot"));
        }
        let mut r = Reader { b: body, at: 5 };
        let flags = r.take(1)?[0];
        if flags > 1 {
            return Err(DecodeError::Malformed { what: "snapshot flags", at: 5 });
        }
        let lamport = r.u64()?;
        let actor: [u8; 16] = r.take(16)?.try_into().map_err(|_| DecodeError::Truncated(r.at))?;
        let seq = r.u64()?;
        let position = (flags == 1).then_some((lamport, actor, seq));
        let matched = r.u64()?;
        let at = r.at;
        let fingerprint = String::from_utf8(r.bytes()?.to_vec())
            .map_err(|_| DecodeError::Malformed { what: "snapshot fingerprint", at })?;
        let m = r.u32()? as usize;
        let mut version = VersionVector::new();
        let mut prev: Option<[u8; 16]> = None;
        for _ in 0..m {
            let at = r.at;
            let a: [u8; 16] = r.take(16)?.try_into().map_err(|_| DecodeError::Truncated(r.at))?;
            let s = r.u64()?;
            if s == 0 || prev.is_some_and(|p| p >= a) {
                return Err(DecodeError::Malformed { what: "snapshot version vector", at });
            }
            prev = Some(a);
            version.set(ActorId(a), s);
        }
        let state = r.bytes()?.to_vec();
        if r.at != body.len() {
            return Err(DecodeError::Malformed { what: "snapshot (trailing bytes)", at: r.at });
        }
        Ok(Snapshot { position, matched, version, fingerprint, state })
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.b.len()).ok_or(DecodeError::Truncated(self.b.len()))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(w))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        let mut w = [0u8; 4];
        w.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(w))
    }
    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot {
            position: Some((7, [3; 16], 2)),
            matched: 5,
            version: [(ActorId([3; 16]), 2), (ActorId([1; 16]), 4)].into_iter().collect(),
            fingerprint: "count/1\n{}".into(),
            state: b"5".to_vec(),
        }
    }

    #[test]
    fn round_trips() {
        let s = sample();
        assert_eq!(Snapshot::decode(&s.encode()).unwrap(), s);
        let empty = Snapshot { position: None, matched: 0, version: VersionVector::new(), ..sample() };
        assert_eq!(Snapshot::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn every_truncation_and_bit_flip_is_a_typed_error() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(Snapshot::decode(&bytes[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(Snapshot::decode(&b).is_err(), "flip at {i}");
        }
        let mut v2 = bytes.clone();
        v2[4] = 2;
        assert_eq!(Snapshot::decode(&v2), Err(DecodeError::UnsupportedVersion(2, 1)));
        assert_eq!(Snapshot::decode(b"ELSx"), Err(DecodeError::BadMagic));
    }
}
