//! Bad frames end the sender's connection with an error frame; the room stays intact.

use everlog::relay::{ClientError, ErrorCode, ErrorFrame};
use everlog::sync::{decode_message, generate_message, SyncState};
use everlog::{Event, Log};

use crate::harness::*;

/// Sends `frame` on a fresh connection and returns the relay's refusal.
async fn send_bad(relay: &RelayProc, frame: Vec<u8>) -> ErrorFrame {
    let mut conn = relay.client("shared").await;
    let mut scratch = Log::new(actor(77));
    conn.send_raw(frame).await.unwrap();
    loop {
        match conn.recv(&mut scratch).await {
            Ok(_) => continue, // the relay's greeting (its version) may come first
            Err(ClientError::Refused(f)) => {
                assert!(matches!(conn.recv(&mut scratch).await, Err(ClientError::Closed(_))));
                return f;
            }
            Err(e) => panic!("expected an error frame, got {e}"),
        }
    }
}

/// The message `log` sends to a peer that announced an empty log: its events, all of them.
fn message_with_events(log: &Log) -> Vec<u8> {
    let hello = generate_message(&Log::new(actor(1000)), &mut SyncState::new()).unwrap();
    let mut state = SyncState::new();
    decode_message(log, &mut state, &hello).unwrap();
    generate_message(log, &mut state).unwrap()
}

#[tokio::test]
async fn malformed_frames_are_refused_and_the_room_stays_intact() {
    let relay = RelayProc::start(&temp_dir("malformed"));
    let mut good = Log::new(actor(1));
    append(&mut good, 4, "good");
    let mut keeper = relay.client("shared").await;
    keeper.sync(&mut good).await.unwrap();

    assert_eq!(send_bad(&relay, b"garbage".to_vec()).await.code, ErrorCode::Decode);
    assert_eq!(send_bad(&relay, Vec::new()).await.code, ErrorCode::Decode);
    // A real message with events, cut short: refused whole, none of its events kept.
    let mut bad = Log::new(actor(2));
    append(&mut bad, 50, "cut");
    let full = message_with_events(&bad);
    assert_eq!(send_bad(&relay, full[..full.len() - 3].to_vec()).await.code, ErrorCode::Decode);
    // Events that break the log's rules: a second, different event 1 of actor 1.
    let mut forger = Log::new(actor(1));
    append(&mut forger, 1, "forged");
    assert_eq!(send_bad(&relay, message_with_events(&forger)).await.code, ErrorCode::InvalidEvent);

    // The room holds exactly the good events, and the first connection still works.
    let more = append(&mut good, 2, "more");
    keeper.sync(&mut good).await.expect("the good connection is unaffected");
    let mut check = Log::new(actor(3));
    relay.client("shared").await.sync(&mut check).await.unwrap();
    assert_eq!(events(&check), events(&good));
    assert!(events(&check).ends_with(&more));
    assert!(!events(&check).iter().any(|e: &Event| e.id.actor == actor(2)));
}

#[tokio::test]
async fn oversized_messages_are_refused() {
    let dir = temp_dir("oversized");
    let relay = RelayProc::start_with(&dir, "127.0.0.1:0".parse().unwrap(), &["--max-message", "4096"]);
    assert_eq!(send_bad(&relay, vec![0u8; 10_000]).await.code, ErrorCode::TooLarge);
    // Messages under the limit still work.
    let mut a = Log::new(actor(1));
    append(&mut a, 3, "small");
    relay.client("shared").await.sync(&mut a).await.unwrap();
}
