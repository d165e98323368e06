//! The bytes of one stored or broadcast batch of events.
//!
//! Provisional until the core codec (`core::codec`, branch `sync`) lands; then this module
//! forwards to it. Until then a batch is:
//!
//! ```text
//! +------+------+---------+------------------------------+
//! | 'E'  | 'V'  | version | JSON array of events (serde) |
//! +------+------+---------+------------------------------+
//!  0      1      2         3..
//! ```

use crate::core::{DecodeError, Event};

const MAGIC: [u8; 2] = *b"EV";
const VERSION: u8 = 0;

pub fn encode(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + events.len() * 128);
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    // Serialising plain structs of strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, events);
    out
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, DecodeError> {
    if bytes.len() < 3 {
        return Err(DecodeError::Truncated(bytes.len()));
    }
    if bytes[..2] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes[2] != VERSION {
        return Err(DecodeError::UnsupportedVersion(bytes[2], VERSION));
    }
    serde_json::from_slice(&bytes[3..]).map_err(|e| DecodeError::Malformed { what: "batch", at: 3 + e.column() })
}
