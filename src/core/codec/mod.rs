//! The binary format of stored and transmitted events.
//!
//! One format serves storage (a batch per append or a snapshot of the whole log) and
//! the wire (the events inside a sync message, see [`crate::core::sync`]). It is
//! versioned, compact, and safe to read from anyone:
//!
//! - **versioned**: a 4-byte magic and a format version byte; a reader refuses versions it
//!   does not know ([`DecodeError::UnsupportedVersion`](crate::core::error::DecodeError::UnsupportedVersion)) rather than guess;
//! - **compact**: LEB128 varints, a per-batch actor table (an actor's 16 bytes appear once,
//!   events name it by index), a per-chunk string table (stream, type, key, meta names and
//!   values), per-actor zigzag deltas for seq, lamport and time, columns of like fields,
//!   and raw-DEFLATE per chunk where that saves at least 1/16;
//! - **cut-tolerant**: events travel in chunks of about 64 KiB, each with its own
//!   CRC-32 and each decodable on its own, so a truncated or damaged batch still yields every
//!   event of the intact chunks before the damage ([`decode_events_partial`]); the sync
//!   protocol then asks for the rest;
//! - **safe**: the decoder never panics, checks every length and count against the bytes
//!   that remain before allocating, bounds inflation (see [`compress`]), and accepts one
//!   encoding only (sorted actor table, no empty chunk, no trailing bytes). It does *not*
//!   check the events' rules (ids, clocks, causality, JSON, sizes): that is
//!   [`Log::receive`](crate::core::log::Log::receive)'s job, done once, in one place.
//!
//! # Batch layout (format version 1)
//!
//! ```text
//! batch:
//! +----+----+----+----+------+
//! | 'E'| 'V'| 'L'| 'B'| 0x01 |   magic "EVLB", format version 1
//! +----+----+----+----+------+
//! | A: varint | A × actor id (16 bytes, strictly ascending)  |   actor table
//! +-----------+--------------------------------------------------+
//! | N: varint | total number of events in the chunks             |
//! +-----------+--------------------------------------------------+
//! | crc32 LE (4 bytes): CRC-32 (IEEE) of every header byte above  |
//! +---------------------------------------------------------------+
//! | chunk | chunk | …   (until N events are read; nothing may follow)
//! +-------+-------+
//!
//! chunk frame:
//! +-------+------------------+-----------------------+--------------------+-----------+
//! | flags | stored_len varint| raw_len varint        | body               | crc32 LE  |
//! | u8    |                  | (only if flags & 1)   | stored_len bytes   | 4 bytes   |
//! +-------+------------------+-----------------------+--------------------+-----------+
//!   flags: bit 0 = body is raw DEFLATE of raw_len bytes; other bits must be 0.
//!   crc32: CRC-32 (IEEE) of every frame byte before it, flags included.
//!   The header and every chunk carry a CRC, so damage anywhere is detected: a flipped
//!   bit can neither attribute events to another actor nor alter a payload unnoticed.
//!
//! body (after inflating), n events, column after column:
//!   n              varint (≥ 1)
//!   S              varint, then S × (len varint, UTF-8 bytes)      string table
//!   flags[n]       u8 each: 1 = key, 2 = meta, 4 = idempotency key, 8 = deps
//!   actor[n]       varint index into the actor table
//!   seq[n]         zigzag varint: seq     − previous seq of the same actor in this chunk (0 at first)
//!   lamport[n]     zigzag varint: lamport − previous lamport of the same actor (0 at first)
//!   time[n]        zigzag varint: time    − previous time of the same actor (0 at first)
//!   stream[n]      varint string index
//!   type[n]        varint string index
//!   key            varint string index, for each event with flag 1
//!   meta           for each event with flag 2: m ≥ 1 varint, m × (name index, value index)
//!   idem. key      for each event with flag 4: len varint, UTF-8 bytes
//!   deps           for each event with flag 8: d ≥ 1 varint, d × (actor index, seq varint)
//!   data_len[n]    varint
//!   data           the n JSON texts, concatenated (exactly Σ data_len bytes remain)
//! ```
//!
//! Varints are unsigned LEB128 (at most 10 bytes); zigzag maps a wrapping signed delta d
//! to `(d << 1) ^ (d >> 63)`. The string table lists strings in order of first use
//! (stream, type, key, then meta name and value, event by event), so the encoding of a
//! given sequence of events is unique. [`encode_log`] writes the applied events in the
//! total order, so replicas holding the same events write the same bytes.
//!
//! Typical cost, measured by `benches/codec.rs` on a realistic mix: see docs/codec.md.

mod batch;
pub mod compress;
mod events;
pub(crate) mod varint;

pub use batch::{
    decode_events, decode_events_partial, decode_log, encode_events, encode_events_with, encode_log, EncodeOptions,
    Partial, BATCH_MAGIC, FORMAT_VERSION, MESSAGE_MAGIC,
};
pub(crate) use batch::{end_header, read_chunks, read_header, read_header_end, write_chunks, write_header};
pub(crate) use events::ActorTable;

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod tests;
