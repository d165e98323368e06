//! Unit tests of the batch format: round trips, the cut-batch rule, canonical log bytes.

use std::sync::Arc;

use super::*;
use crate::core::error::DecodeError;
use crate::core::event::{Draft, Event, Extra, Limits, Meta};
use crate::core::id::{ActorId, EventId};
use crate::core::log::{AppendOptions, Log};

fn a(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

/// Two actors that append, sync, and append again: keys, meta, idempotency keys, deps.
fn two_logs(n: usize) -> (Log, Log) {
    let (mut x, mut y) = (Log::new(a(1)), Log::new(a(2)));
    let opts = AppendOptions::default();
    for i in 0..n {
        let mut d = Draft::new(&format!("cart:{}", i % 3), "ItemAdded", serde_json::json!({"sku": i % 7, "qty": i}))
            .key(&format!("sku-{}", i % 7));
        if i % 5 == 0 {
            d = d.meta("corr", &format!("c{i}")).meta("v", "2");
        }
        if i % 11 == 0 {
            d = d.idempotency_key(&format!("op-{i}"));
        }
        let log = if i % 2 == 0 { &mut x } else { &mut y };
        log.append(vec![d], &opts, 1_000 + i as u64 * 37).unwrap();
        if i % 10 == 9 {
            let to_y: Vec<Event> = x.iter().map(|e| e.to_event()).collect();
            let to_x: Vec<Event> = y.iter().map(|e| e.to_event()).collect();
            y.receive(to_y).unwrap();
            x.receive(to_x).unwrap();
        }
    }
    (x, y)
}

fn odd_event() -> Event {
    let mut meta = Meta::new();
    meta.insert("k".into(), "".into());
    Event {
        id: EventId::new(a(u128::MAX), u64::MAX),
        stream: "s".into(),
        kind: "é".into(),
        key: Some("".into()),
        data: "\"x\"".into(),
        lamport: 0,
        time: u64::MAX,
        extra: Extra::boxed(
            meta,
            Some(Arc::from("id")),
            vec![EventId::new(a(0), 0), EventId::new(a(3), u64::MAX)].into_boxed_slice(),
        ),
    }
}

#[test]
fn events_round_trip_with_every_field() {
    let (x, _) = two_logs(200);
    let evs: Vec<Event> = x.iter().map(|e| e.to_event()).collect();
    assert!(evs.iter().any(|e| !e.deps().is_empty()) && evs.iter().any(|e| e.idempotency_key().is_some()));
    for opts in [EncodeOptions::default(), EncodeOptions { level: 0, chunk_bytes: 100 }] {
        let bytes = encode_events_with(&evs, &opts);
        assert_eq!(decode_events(&bytes).unwrap(), evs);
    }
    let odd = vec![odd_event(), odd_event()];
    assert_eq!(decode_events(&encode_events(&odd)).unwrap(), odd);
    assert_eq!(decode_events(&encode_events(&[])).unwrap(), vec![]);
}

#[test]
fn a_cut_batch_keeps_its_complete_chunks() {
    let (x, _) = two_logs(120);
    let evs: Vec<Event> = x.iter().map(|e| e.to_event()).collect();
    let bytes = encode_events_with(&evs, &EncodeOptions { level: 6, chunk_bytes: 512 });
    let mut best = 0;
    for cut in 0..bytes.len() {
        let p = decode_events_partial(&bytes[..cut]);
        assert!(p.error.is_some(), "cut at {cut} went unnoticed");
        assert_eq!(p.events[..], evs[..p.events.len()], "cut at {cut}");
        assert!(p.events.len() >= best, "a longer prefix gave fewer events");
        best = p.events.len();
    }
    assert!(best > evs.len() / 2, "chunks are small, so most events survive a late cut");
}

#[test]
fn header_errors_are_typed() {
    let bytes = encode_events(&[odd_event()]);
    assert_eq!(decode_events(b"EVLS\x01"), Err(DecodeError::BadMagic));
    assert_eq!(decode_events(b"EV"), Err(DecodeError::Truncated(2)));
    let mut v2 = bytes.clone();
    v2[4] = 2;
    assert_eq!(decode_events(&v2), Err(DecodeError::UnsupportedVersion(2, 1)));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(decode_events(&trailing), Err(DecodeError::Malformed { .. })));
    let mut flipped = bytes;
    let last = flipped.len() - 6;
    flipped[last] ^= 0x40;
    assert_eq!(decode_events(&flipped), Err(DecodeError::Checksum("chunk")));
}

#[test]
fn replicas_with_the_same_events_encode_the_same_bytes() {
    let (mut x, mut y) = two_logs(120);
    let to_y: Vec<Event> = x.iter().map(|e| e.to_event()).collect();
    let to_x: Vec<Event> = y.iter().rev().map(|e| e.to_event()).collect();
    y.receive(to_y).unwrap();
    x.receive(to_x).unwrap();
    assert_eq!(x.version(), y.version());
    let bytes = encode_log(&x);
    assert_eq!(bytes, encode_log(&y));
    let z = decode_log(&bytes, a(9), Limits::default()).unwrap();
    assert_eq!(z.version(), x.version());
    assert_eq!(encode_log(&z), bytes);
}

#[test]
fn decode_log_refuses_invalid_events_whole() {
    let mut e = odd_event();
    if let Some(x) = e.extra.as_mut() {
        x.deps = Box::default();
    }
    e.id.seq = 0;
    let bytes = encode_events(&[e]);
    assert!(decode_log(&bytes, a(9), Limits::default()).is_err());
}

#[test]
fn realistic_events_compress() {
    let (x, _) = two_logs(2000);
    let payload: usize = x.iter().map(|e| e.data().len()).sum();
    let bytes = encode_log(&x);
    assert!(bytes.len() < payload, "{} wire bytes for {} payload bytes", bytes.len(), payload);
}
