//! Identities: actors (replicas) and events.
//!
//! An [`ActorId`] is a random 128-bit number naming one replica of the log. An
//! [`EventId`] is `(actor, seq)`: the `seq`-th event that actor wrote, counting from 1
//! without gaps.
//!
//! String forms (used by the JavaScript API and in errors):
//! - actor: 32 lowercase hex digits, e.g. `"8f1c…"`;
//! - event: `"<seq>@<actor>"`, e.g. `"3@8f1c0a…"` (the same shape automerge uses for op ids).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::InvalidEvent;

/// One replica of the log: a random 128-bit id.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct ActorId(pub [u8; 16]);

// Ordered as the bytes are (lexicographically), compared as one big-endian `u128`: the
// version vector's lookups and the total order compare actors once or more per event, and
// a byte-slice comparison is a call to `memcmp`.
impl Ord for ActorId {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        u128::from_be_bytes(self.0).cmp(&u128::from_be_bytes(other.0))
    }
}

impl PartialOrd for ActorId {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

// One 128-bit write instead of a length prefix and a byte slice. Hashes only feed
// in-memory maps; nothing stores or compares them.
impl std::hash::Hash for ActorId {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from_ne_bytes(self.0));
    }
}

impl ActorId {
    /// A fresh random actor id from the platform's secure random source.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        // Not `expect`: that would format the error with its Debug impl (package size).
        if getrandom::fill(&mut bytes).is_err() {
            panic!("the platform has no random source");
        }
        ActorId(bytes)
    }

    /// An actor id from a number; handy in tests and examples.
    pub const fn from_u128(n: u128) -> Self {
        ActorId(n.to_be_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(32);
        for b in self.0 {
            s.push(char::from_digit((b >> 4) as u32, 16).unwrap());
            s.push(char::from_digit((b & 15) as u32, 16).unwrap());
        }
        s
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Short form keeps test output readable; the full id is in Display.
        write!(f, "A({})", &self.to_hex()[..8])
    }
}

impl FromStr for ActorId {
    type Err = InvalidEvent;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidEvent::BadActor(s.chars().take(64).collect());
        if s.len() != 32 {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hi = (chunk[0] as char).to_digit(16).ok_or_else(bad)?;
            let lo = (chunk[1] as char).to_digit(16).ok_or_else(bad)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Ok(ActorId(out))
    }
}

impl Serialize for ActorId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ActorId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The id of one event: the `seq`-th event written by `actor` (seq starts at 1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    pub actor: ActorId,
    pub seq: u64,
}

impl EventId {
    pub const fn new(actor: ActorId, seq: u64) -> Self {
        EventId { actor, seq }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.seq, self.actor)
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.seq, &self.actor.to_hex()[..8])
    }
}

impl FromStr for EventId {
    type Err = InvalidEvent;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidEvent::BadEventId(s.chars().take(80).collect());
        let (seq, actor) = s.split_once('@').ok_or_else(bad)?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        if seq == 0 || seq.to_string() != seq_str_canonical(s) {
            return Err(bad());
        }
        Ok(EventId { actor: actor.parse().map_err(|_| bad())?, seq })
    }
}

fn seq_str_canonical(s: &str) -> &str {
    s.split_once('@').map(|(a, _)| a).unwrap_or("")
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_string_round_trip() {
        let id = EventId::new(ActorId::from_u128(0xabc), 42);
        let s = id.to_string();
        assert_eq!(s, "42@00000000000000000000000000000abc");
        assert_eq!(s.parse::<EventId>().unwrap(), id);
    }

    #[test]
    fn actor_order_is_the_byte_order() {
        let ids = [
            [0u8; 16],
            [0xff; 16],
            {
                let mut b = [0u8; 16];
                b[15] = 1;
                b
            },
            {
                let mut b = [0u8; 16];
                b[0] = 1;
                b
            },
        ];
        for a in ids {
            for b in ids {
                assert_eq!(ActorId(a).cmp(&ActorId(b)), a.cmp(&b));
            }
        }
    }

    #[test]
    fn bad_ids_are_rejected() {
        for bad in [
            "",
            "1@",
            "0@00000000000000000000000000000abc",
            "01@00000000000000000000000000000abc",
            "x@00000000000000000000000000000abc",
            "1@0000000000000000000000000000abc",
            "1@zz000000000000000000000000000abc",
        ] {
            assert!(bad.parse::<EventId>().is_err(), "{bad} parsed");
        }
    }
}
