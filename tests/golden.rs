//! Golden byte vectors of the batch and message formats (format version 1).
//!
//! The files in tests/golden/ are hex dumps. A test fails when the encoder's output
//! drifts from them (an unintended format change) or when the decoder no longer reads
//! them (a break of compatibility with stored data). After an intended change that bumps
//! the format version, regenerate with `EVERLOG_BLESS=1 cargo test --test golden` and keep
//! the old files as decode-only vectors.

use std::path::PathBuf;
use std::sync::Arc;

use everlog::codec::{self, EncodeOptions};
use everlog::sync::{self, SyncState};
use everlog::{ActorId, AppendOptions, DecodeError, Draft, Event, EventId, Extra, Log, Meta, Name};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&chunk.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "));
    }
    s.push('\n');
    s
}

fn unhex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|h| u8::from_str_radix(h, 16).expect("hex")).collect()
}

/// Compares `bytes` with the golden file (or writes it when blessing), returns the file's bytes.
fn golden(name: &str, bytes: &[u8]) -> Vec<u8> {
    if std::env::var_os("EVERLOG_BLESS").is_some() {
        std::fs::write(path(name), hex(bytes)).unwrap();
    }
    let want = unhex(&std::fs::read_to_string(path(name)).expect("golden file"));
    assert_eq!(hex(bytes), hex(&want), "{name} drifted from its golden bytes");
    want
}

fn a(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

/// Two events using every field: key, meta, idempotency key, a dependency.
fn two_events() -> Vec<Event> {
    let mut meta = Meta::new();
    meta.insert("v".into(), "2".into());
    vec![
        Event {
            id: EventId::new(a(1), 1),
            stream: Name::from("cart:1"),
            kind: Name::from("ItemAdded"),
            key: Some(Name::from("sock")),
            data: r#"{"qty":2}"#.into(),
            lamport: 1,
            time: 1000,
            extra: None,
        },
        Event {
            id: EventId::new(a(2), 1),
            stream: Name::from("cart:1"),
            kind: Name::from("ItemRemoved"),
            key: Some(Name::from("sock")),
            data: r#"{"qty":1}"#.into(),
            lamport: 2,
            time: 1005,
            extra: Extra::boxed(meta, Some(Arc::from("op-7")), vec![EventId::new(a(1), 1)].into_boxed_slice()),
        },
    ]
}

/// 40 cart events from two actors: large enough that the chunk is deflated.
fn forty_events() -> Vec<Event> {
    let (mut x, mut y) = (Log::new(a(1)), Log::new(a(2)));
    for i in 0..20u64 {
        for (log, t) in [(&mut x, 1_000), (&mut y, 2_000)] {
            let d =
                Draft::new("cart:7", "ItemAdded", serde_json::json!({"sku": format!("SKU-{:03}", i % 6), "qty": i}))
                    .key(&format!("SKU-{:03}", i % 6));
            log.append(vec![d], &AppendOptions::default(), t + i * 10).unwrap();
        }
    }
    let theirs: Vec<Event> = y.iter().map(|e| e.to_event()).collect();
    x.receive(theirs).unwrap();
    x.iter().map(|e| e.to_event()).collect()
}

#[test]
fn batch_raw_v1() {
    let events = two_events();
    let bytes = codec::encode_events_with(&events, &EncodeOptions { level: 0, ..EncodeOptions::default() });
    let want = golden("batch_v1_raw.hex", &bytes);
    assert_eq!(codec::decode_events(&want).unwrap(), events);
}

#[test]
fn batch_deflate_v1() {
    let events = forty_events();
    let bytes = codec::encode_events(&events);
    let want = golden("batch_v1_deflate.hex", &bytes);
    assert_eq!(codec::decode_events(&want).unwrap(), events);
}

#[test]
fn batch_deflate_v1_from_another_encoder_setting() {
    // Written at deflate level 6 (the default before level 4): decoders read any deflate.
    let bytes = unhex(&std::fs::read_to_string(path("batch_v1_deflate_level6.hex")).unwrap());
    assert_eq!(codec::decode_events(&bytes).unwrap(), forty_events());
}

#[test]
fn empty_batch_v1() {
    let want = golden("batch_v1_empty.hex", &codec::encode_events(&[]));
    assert_eq!(codec::decode_events(&want).unwrap(), vec![]);
}

#[test]
fn log_v1_is_the_batch_of_its_events_in_total_order() {
    let events = forty_events();
    let mut log = Log::new(a(3));
    log.receive(events.iter().rev().cloned().collect()).unwrap();
    assert_eq!(codec::encode_log(&log), golden("batch_v1_deflate.hex", &codec::encode_events(&events)));
}

#[test]
fn message_v1() {
    // A, holding one event, answers B's version-only message: version + the event.
    let mut x = Log::new(a(1));
    x.receive(two_events()[..1].to_vec()).unwrap();
    let y = Log::new(a(2));
    let (mut sx, mut sy) = (SyncState::new(), SyncState::new());
    sx.encode.level = 0;
    let hello = sync::generate_message(&y, &mut sy).unwrap();
    golden("message_v1_hello.hex", &hello);
    sync::decode_message(&x, &mut sx, &hello).unwrap();
    let reply = sync::generate_message(&x, &mut sx).unwrap();
    let want = golden("message_v1_events.hex", &reply);
    let inc = sync::decode_message(&y, &mut sy, &want).unwrap();
    assert_eq!(inc.events, two_events()[..1].to_vec());
    assert_eq!(inc.error, None);
}

#[test]
fn a_newer_format_version_is_refused() {
    let mut bytes = unhex(&std::fs::read_to_string(path("batch_v1_raw.hex")).unwrap());
    bytes[4] = 2;
    assert_eq!(codec::decode_events(&bytes), Err(DecodeError::UnsupportedVersion(2, 1)));
    let mut msg = unhex(&std::fs::read_to_string(path("message_v1_events.hex")).unwrap());
    msg[4] = 2;
    assert_eq!(
        sync::decode_message(&Log::new(a(2)), &mut SyncState::new(), &msg),
        Err(DecodeError::UnsupportedVersion(2, 1))
    );
}
