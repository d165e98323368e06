//! Framing shared by batches and sync messages: the header, the chunk frames, and the
//! public batch API (`encode_events`, `decode_events`, the canonical log encoding).
//!
//! See the [module docs](super) for the byte diagram.

use super::compress::{crc32, crc_matches, deflate_if_it_pays, inflate_exact, LEVEL};
use super::events::{decode_body, encode_body, estimate, ActorTable, Strings};
use super::varint::{put_u64, Reader};
use crate::core::error::{DecodeError, Error};
use crate::core::event::{Event, Limits};
use crate::core::event_ref::EventRef;
use crate::core::id::ActorId;
use crate::core::log::Log;

/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u8 = 1;
/// Magic of a stored or transmitted event batch.
pub const BATCH_MAGIC: [u8; 4] = *b"EVLB";
/// Magic of a sync message.
pub const MESSAGE_MAGIC: [u8; 4] = *b"EVLS";

const CHUNK_DEFLATE: u8 = 1;
/// At most this many events per chunk, whatever their size.
const MAX_CHUNK_EVENTS: usize = 4096;

/// How an encoder cuts and compresses chunks. Decoders read any choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Deflate level, 1–10; 0 never compresses.
    pub level: u8,
    /// Close a chunk once its raw body reaches about this many bytes. Smaller chunks lose
    /// less to a cut message; larger ones compress a little better.
    pub chunk_bytes: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { level: LEVEL, chunk_bytes: 64 << 10 }
    }
}

/// What a lenient decode got: every event of the complete, intact chunks, and the error
/// that stopped it, if any. Hand `events` to [`Log::receive`]; when `error` is set, ask
/// the sender for the rest (the sync protocol does this by itself).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Partial {
    pub events: Vec<Event>,
    pub error: Option<DecodeError>,
}

impl Partial {
    /// All events, or the error.
    pub fn into_result(self) -> Result<Vec<Event>, DecodeError> {
        match self.error {
            None => Ok(self.events),
            Some(e) => Err(e),
        }
    }
}

pub(crate) fn write_header(out: &mut Vec<u8>, magic: [u8; 4]) {
    out.extend_from_slice(&magic);
    out.push(FORMAT_VERSION);
}

pub(crate) fn read_header(r: &mut Reader, magic: [u8; 4]) -> Result<(), DecodeError> {
    let n = r.remaining().min(4);
    let got = r.take(n)?;
    if got != &magic[..n] {
        return Err(DecodeError::BadMagic);
    }
    if n < 4 {
        return Err(r.truncated());
    }
    match r.u8()? {
        FORMAT_VERSION => Ok(()),
        v => Err(DecodeError::UnsupportedVersion(v, FORMAT_VERSION)),
    }
}

/// Ends a header: the event count, then a CRC-32 of every header byte (so a damaged
/// actor table or version cannot pass for another actor's events).
pub(crate) fn end_header(out: &mut Vec<u8>, events: usize) {
    put_u64(out, events as u64);
    let crc = crc32(out);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Reads the event count and checks the header CRC (the header starts at position 0).
pub(crate) fn read_header_end(r: &mut Reader) -> Result<u64, DecodeError> {
    let n = r.u64()?;
    let end = r.pos();
    let crc = u32::from_le_bytes(r.array::<4>()?);
    if !crc_matches(crc, r.slice(0, end)) {
        return Err(DecodeError::Checksum("header"));
    }
    Ok(n)
}

/// Writes the chunks holding `events`.
pub(crate) fn write_chunks(out: &mut Vec<u8>, events: &[EventRef<'_>], actors: &ActorTable, opts: &EncodeOptions) {
    let mut body = Vec::new();
    let mut start = 0;
    while start < events.len() {
        let mut end = start;
        let mut size = 0;
        while end < events.len() && end - start < MAX_CHUNK_EVENTS && (end == start || size < opts.chunk_bytes) {
            size += estimate(events[end]);
            end += 1;
        }
        body.clear();
        encode_body(&events[start..end], actors, &mut body);
        let frame_start = out.len();
        match deflate_if_it_pays(&body, opts.level) {
            Some(packed) => {
                out.push(CHUNK_DEFLATE);
                put_u64(out, packed.len() as u64);
                put_u64(out, body.len() as u64);
                out.extend_from_slice(&packed);
            }
            None => {
                out.push(0);
                put_u64(out, body.len() as u64);
                out.extend_from_slice(&body);
            }
        }
        let crc = crc32(&out[frame_start..]);
        out.extend_from_slice(&crc.to_le_bytes());
        start = end;
    }
}

/// Reads chunks holding `total` events; stops at the first bad or missing chunk and
/// returns the events of the chunks before it. Nothing may follow the last chunk.
pub(crate) fn read_chunks(r: &mut Reader, actors: &ActorTable, total: u64) -> Partial {
    let mut out = Partial::default();
    // Compressed chunks may hold more events than bytes; size the buffer by the input.
    out.events.reserve(total.min(r.remaining() as u64) as usize);
    let mut names = Strings::default();
    while (out.events.len() as u64) < total {
        let before = out.events.len();
        let read = read_chunk(r, actors, &mut names, &mut out.events);
        let error = match read {
            Ok(()) if out.events.len() as u64 <= total => continue,
            Ok(()) => r.malformed("more events than the header says"),
            Err(e) => e,
        };
        out.events.truncate(before);
        out.error = Some(error);
        return out;
    }
    if !r.is_empty() {
        out.error = Some(r.malformed("trailing bytes after the last chunk"));
    }
    out
}

/// Reads one chunk and appends its events to `out` (see [`decode_body`] on errors).
fn read_chunk(
    r: &mut Reader,
    actors: &ActorTable,
    names: &mut Strings,
    out: &mut Vec<Event>,
) -> Result<(), DecodeError> {
    let frame_at = r.pos();
    let at = r.offset();
    let flags = r.u8()?;
    if flags & !CHUNK_DEFLATE != 0 {
        return Err(DecodeError::Malformed { what: "chunk flags", at });
    }
    let stored_len = r.u64()?;
    let raw_len = if flags & CHUNK_DEFLATE != 0 { Some(r.u64()?) } else { None };
    if stored_len > r.remaining() as u64 {
        return Err(r.truncated());
    }
    let body_at = r.offset();
    let stored = r.take(stored_len as usize)?;
    let frame_end = r.pos();
    let crc = u32::from_le_bytes(r.array::<4>()?);
    if !crc_matches(crc, r.slice(frame_at, frame_end)) {
        return Err(DecodeError::Checksum("chunk"));
    }
    let raw;
    let body: &[u8] = match raw_len {
        Some(n) => {
            raw = inflate_exact(stored, usize::try_from(n).map_err(|_| DecodeError::Limit("chunk raw length"))?)?;
            &raw
        }
        None => stored,
    };
    let mut br = Reader::with_base(body, body_at);
    decode_body(&mut br, actors, names, out)?;
    if !br.is_empty() {
        return Err(br.malformed("trailing bytes in chunk"));
    }
    Ok(())
}

/// Encodes events (any order, any events) as one batch.
pub fn encode_events(events: &[Event]) -> Vec<u8> {
    encode_events_with(events, &EncodeOptions::default())
}

pub fn encode_events_with(events: &[Event], opts: &EncodeOptions) -> Vec<u8> {
    let refs: Vec<EventRef<'_>> = events.iter().map(Event::view).collect();
    encode_refs(&refs, opts)
}

fn encode_refs(events: &[EventRef<'_>], opts: &EncodeOptions) -> Vec<u8> {
    let actors = ActorTable::build(events, []);
    let mut out = Vec::with_capacity(64 + events.iter().map(|e| e.data().len() + 8).sum::<usize>() / 2);
    write_header(&mut out, BATCH_MAGIC);
    actors.write(&mut out);
    end_header(&mut out, events.len());
    write_chunks(&mut out, events, &actors, opts);
    out
}

/// Decodes a whole batch; any flaw (including a cut) is an error and yields no events.
pub fn decode_events(bytes: &[u8]) -> Result<Vec<Event>, DecodeError> {
    decode_events_partial(bytes).into_result()
}

/// Decodes what can be decoded: the events of every complete, intact chunk before the
/// first flaw, plus that flaw. The events are not validated: give them to
/// [`Log::receive`], which checks every rule and changes nothing when one fails.
pub fn decode_events_partial(bytes: &[u8]) -> Partial {
    let mut r = Reader::new(bytes);
    let header = read_header(&mut r, BATCH_MAGIC).and_then(|_| {
        let actors = ActorTable::read(&mut r)?;
        Ok((actors, read_header_end(&mut r)?))
    });
    match header {
        Ok((actors, total)) => read_chunks(&mut r, &actors, total),
        Err(e) => Partial { events: Vec::new(), error: Some(e) },
    }
}

/// The canonical encoding of a log's applied events, in the total order. Replicas that
/// hold the same events produce the same bytes (with the same codec build: deflate output
/// may differ between versions of the compressor, while every version reads every other).
/// Pending events are not included.
pub fn encode_log(log: &Log) -> Vec<u8> {
    let refs: Vec<EventRef<'_>> = log.iter().collect();
    encode_refs(&refs, &EncodeOptions::default())
}

/// Builds a log written by `actor` from an [`encode_log`] (or any batch) encoding. Every
/// event goes through [`Log::receive`], so a file that breaks a rule is refused whole.
pub fn decode_log(bytes: &[u8], actor: ActorId, limits: Limits) -> Result<Log, Error> {
    let events = decode_events(bytes)?;
    let mut log = Log::with_limits(actor, limits);
    if !events.is_empty() {
        log.receive(events)?;
    }
    Ok(log)
}
