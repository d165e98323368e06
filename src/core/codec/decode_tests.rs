//! Edge cases of the decoder's shortcuts: the data column checked as UTF-8 in one pass,
//! and the names shared by the chunks of one batch. Errors must be the ones a check per
//! event and per string gives.

use super::compress::crc32;
use super::*;
use crate::core::error::DecodeError;
use crate::core::event::Event;
use crate::core::id::{ActorId, EventId};
use crate::core::name::Name;

fn event(seq: u64, stream: &str, data: &str) -> Event {
    Event {
        id: EventId::new(ActorId::from_u128(7), seq),
        stream: stream.into(),
        kind: "T".into(),
        key: None,
        data: data.into(),
        lamport: seq,
        time: seq,
        extra: None,
    }
}

/// A stored (not deflated) one-chunk batch of `events`, and where its chunk frame starts.
fn stored(events: &[Event]) -> (Vec<u8>, usize) {
    let bytes = encode_events_with(events, &EncodeOptions { level: 0, ..EncodeOptions::default() });
    // magic + version, one actor, event count, header CRC.
    (bytes, 5 + 1 + 16 + 1 + 4)
}

/// Rewrites the chunk CRC after a change in the frame.
fn reseal(bytes: &mut [u8], frame: usize) {
    let end = bytes.len() - 4;
    let crc = crc32(&bytes[frame..end]);
    bytes[end..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn a_cut_inside_a_character_is_refused_though_the_column_is_utf8() {
    // Two payloads `"é"` (4 bytes each); data lengths 4, 4 become 2, 6: each text then
    // holds half of an `é`, while the column as a whole is still valid UTF-8.
    let (mut bytes, frame) = stored(&[event(1, "s", "\"é\""), event(2, "s", "\"é\"")]);
    let data_at = bytes.len() - 4 - 8;
    assert_eq!(&bytes[data_at - 2..data_at], [4, 4]);
    bytes[data_at - 2] = 2;
    bytes[data_at - 1] = 6;
    reseal(&mut bytes, frame);
    assert_eq!(decode_events(&bytes), Err(DecodeError::Malformed { what: "data", at: data_at }));
}

#[test]
fn invalid_utf8_is_reported_at_the_event_that_has_it() {
    let (mut bytes, frame) = stored(&[event(1, "s", "\"a\""), event(2, "s", "\"b\"")]);
    // Payloads of 3 bytes each, then the chunk CRC.
    let second = bytes.len() - 4 - 3;
    assert_eq!(&bytes[second..second + 3], b"\"b\"");
    bytes[second + 1] = 0xff;
    reseal(&mut bytes, frame);
    assert_eq!(decode_events(&bytes), Err(DecodeError::Malformed { what: "data", at: second }));
    let p = decode_events_partial(&bytes);
    assert!(p.events.is_empty(), "no event of a bad chunk is kept");
}

#[test]
fn an_invalid_name_is_refused_where_it_is() {
    let (mut bytes, frame) = stored(&[event(1, "stream", "1")]);
    let at = bytes.windows(6).position(|w| w == b"stream").unwrap();
    bytes[at + 2] = 0xc3; // a lead byte followed by ASCII: not UTF-8
    reseal(&mut bytes, frame);
    assert_eq!(decode_events(&bytes), Err(DecodeError::Malformed { what: "string", at: at - 1 }));
}

#[test]
fn the_chunks_of_a_batch_share_one_copy_of_each_name() {
    let events: Vec<Event> = (1..=40).map(|i| event(i, if i % 2 == 0 { "even" } else { "odd" }, "[1]")).collect();
    let bytes = encode_events_with(&events, &EncodeOptions { level: 0, chunk_bytes: 30 });
    let decoded = decode_events(&bytes).unwrap();
    assert_eq!(decoded, events);
    let (first, last) = (&decoded[1], &decoded[39]);
    assert!(Name::ptr_eq(&first.stream, &last.stream), "chunks decoded alone would each copy `even`");
    assert!(Name::ptr_eq(&first.kind, &decoded[0].kind));
}
