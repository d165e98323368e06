//! A room opens only with its token: without one a client can neither read nor write it.

use everlog::relay::{signed_token, ClientError, Connection, ErrorCode};
use everlog::Log;

use crate::harness::*;

async fn refusal(url: &str, room: &str, token: &str) -> ErrorCode {
    let mut conn = Connection::connect(url, room, token).await.expect("the upgrade itself succeeds");
    let mut log = Log::new(actor(66));
    append(&mut log, 2, "intruder");
    // The relay sends nothing but the error frame: no sync message, no event.
    match conn.recv(&mut log).await {
        Err(ClientError::Refused(frame)) => {
            assert!(matches!(conn.recv(&mut log).await, Err(ClientError::Closed(_))));
            frame.code
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_or_missing_tokens_are_refused() {
    let relay = RelayProc::start(&temp_dir("auth"));
    let mut owner = Log::new(actor(1));
    append(&mut owner, 3, "secret data");
    relay.client("private").await.sync(&mut owner).await.unwrap();

    let url = relay.url();
    assert_eq!(refusal(&url, "private", "").await, ErrorCode::Unauthorized);
    assert_eq!(refusal(&url, "private", "not-a-token").await, ErrorCode::Unauthorized);
    assert_eq!(refusal(&url, "private", &token("other-room")).await, ErrorCode::Unauthorized);
    assert_eq!(refusal(&url, "private", &signed_token(b"wrong secret", "private")).await, ErrorCode::Unauthorized);
    assert_eq!(refusal(&url, "../private", &token("../private")).await, ErrorCode::BadRoom);
    assert!(relay.wait_for_log("refused"));

    // Nothing the refused clients had reached the room.
    let mut check = Log::new(actor(2));
    relay.client("private").await.sync(&mut check).await.unwrap();
    assert_eq!(events(&check), events(&owner));
}

#[test]
fn the_relay_will_not_start_without_a_way_to_check_tokens() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_everlog-relay"))
        .env_remove("EVERLOG_RELAY_SECRET")
        .env_remove("EVERLOG_RELAY_TOKENS")
        .env_remove("EVERLOG_RELAY_NO_AUTH")
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(temp_dir("noauth"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no way to open a room"));
}

#[test]
fn print_token_matches_the_library() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_everlog-relay"))
        .env("EVERLOG_RELAY_SECRET", SECRET)
        .args(["--print-token", "room-1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), token("room-1"));
}
