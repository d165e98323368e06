//! Feeds arbitrary bytes to every decoder of the codec and the sync protocol.
//!
//! Properties: no input panics; an input that decodes re-encodes to events that decode the
//! same; whatever a message delivers leaves the log valid, and an error leaves it as it was.
#![no_main]

use everlog::codec;
use everlog::sync::{self, SyncState};
use everlog::{ActorId, AppendOptions, Draft, Limits, Log};
use libfuzzer_sys::fuzz_target;

fn seeded_log() -> Log {
    let mut log = Log::new(ActorId::from_u128(1));
    let d = Draft::new("cart:1", "ItemAdded", serde_json::json!({"sku": "sock"})).key("sock");
    log.append(vec![d], &AppendOptions::default(), 1).expect("a valid draft");
    log
}

fuzz_target!(|data: &[u8]| {
    // Batches: strict and lenient decoding agree, and decoded events round-trip.
    let partial = codec::decode_events_partial(data);
    match codec::decode_events(data) {
        Ok(events) => {
            assert!(partial.error.is_none());
            assert_eq!(codec::decode_events(&codec::encode_events(&events)).as_ref(), Ok(&events));
        }
        Err(e) => assert_eq!(partial.error, Some(e)),
    }
    let _ = codec::decode_log(data, ActorId::from_u128(2), Limits::default());

    // Messages: applying what decodes leaves the log valid; an error changes nothing.
    let mut log = seeded_log();
    let before = log.version().clone();
    let mut state = SyncState::new();
    match sync::receive_message(&mut log, &mut state, data) {
        Ok(_) => assert_eq!(log.version().total(), log.len() as u64),
        Err(_) => assert_eq!(log.version(), &before),
    }
    let _ = sync::generate_message(&log, &mut state);
});
