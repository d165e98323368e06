//! Encoding and decoding of one sync message (layout in the [module docs](super)).

use crate::core::codec::varint::{put_u64, Reader};
use crate::core::codec::{end_header, read_chunks, read_header, read_header_end, write_chunks, write_header};
use crate::core::codec::{ActorTable, EncodeOptions};
use crate::core::codec::{Partial, MESSAGE_MAGIC};
use crate::core::error::DecodeError;
use crate::core::event_ref::EventRef;
use crate::core::version::VersionVector;

/// A decoded message. `events` holds the complete chunks; `error` says why the rest, if
/// any, was lost.
#[derive(Debug, Default)]
pub(crate) struct Message {
    pub epoch: u64,
    pub ack: u64,
    pub version: VersionVector,
    pub events: Partial,
}

pub(crate) fn encode(
    epoch: u64,
    ack: u64,
    version: &VersionVector,
    events: &[EventRef<'_>],
    opts: &EncodeOptions,
) -> Vec<u8> {
    let actors = ActorTable::build(events, version.iter().map(|(a, _)| a));
    let mut out = Vec::with_capacity(64 + events.iter().map(|e| e.data().len() + 8).sum::<usize>() / 2);
    write_header(&mut out, MESSAGE_MAGIC);
    out.push(0); // flags: none defined in version 1
    put_u64(&mut out, epoch);
    put_u64(&mut out, ack);
    actors.write(&mut out);
    put_u64(&mut out, version.len() as u64);
    for (a, s) in version.iter() {
        put_u64(&mut out, actors.index_of(a));
        put_u64(&mut out, s);
    }
    end_header(&mut out, events.len());
    write_chunks(&mut out, events, &actors, opts);
    out
}

/// Decodes a message. A flaw before the events is an error; a flaw among the events
/// leaves the complete chunks in `events.events` and the flaw in `events.error`.
pub(crate) fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader::new(bytes);
    read_header(&mut r, MESSAGE_MAGIC)?;
    let at = r.offset();
    if r.u8()? != 0 {
        return Err(DecodeError::Malformed { what: "message flags", at });
    }
    let epoch = r.u64()?;
    let ack = r.u64()?;
    let actors = ActorTable::read(&mut r)?;
    let n = r.count(2, "version length")?;
    let mut version = VersionVector::new();
    let mut last: Option<usize> = None;
    for _ in 0..n {
        let i = r.index(actors.actors.len(), "version actor")?;
        let at = r.offset();
        let seq = r.u64()?;
        if last.is_some_and(|l| l >= i) || seq == 0 {
            return Err(DecodeError::Malformed { what: "version entry", at });
        }
        last = Some(i);
        version.set(actors.actors[i], seq);
    }
    let total = read_header_end(&mut r)?;
    let events = read_chunks(&mut r, &actors, total);
    Ok(Message { epoch, ack, version, events })
}
