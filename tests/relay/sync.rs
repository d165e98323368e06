//! Several native clients sync one room through the relay.

use everlog::Log;

use crate::harness::*;

#[tokio::test]
async fn several_clients_converge_through_the_relay() {
    let relay = RelayProc::start(&temp_dir("converge"));
    let mut logs: Vec<Log> = (1..=4).map(|n| Log::new(actor(n))).collect();
    let mut conns = Vec::new();
    for _ in 0..logs.len() {
        conns.push(relay.client("team").await);
    }
    for (i, log) in logs.iter_mut().enumerate() {
        append(log, 3 + i, &format!("c{i}"));
    }
    // Two rounds: the first spreads each client's events to the later ones, the second
    // brings the earlier ones up to date.
    for _ in 0..2 {
        for (log, conn) in logs.iter_mut().zip(conns.iter_mut()) {
            conn.sync(log).await.expect("sync");
            assert_eq!(conn.acknowledged(), Some(log.version()));
        }
    }
    let total: usize = (0..4).map(|i| 3 + i).sum();
    for log in &logs {
        assert_eq!(log.len(), total);
        assert_eq!(log.version(), logs[0].version());
        assert_eq!(events(log), events(&logs[0]));
    }
    // Another room is another log.
    let mut other = Log::new(actor(9));
    relay.client("elsewhere").await.sync(&mut other).await.expect("sync");
    assert!(other.is_empty());
    // One log line per connection, opening and closing.
    for conn in conns {
        conn.close().await;
    }
    assert!(relay.wait_for_log("closed by the client"));
    let lines = relay.log.lock().unwrap().clone();
    assert_eq!(lines.iter().filter(|l| l.contains("connected") && l.contains("room=team")).count(), 4, "{lines:#?}");
}

#[tokio::test]
async fn the_relay_pushes_new_events_to_connected_clients() {
    let relay = RelayProc::start(&temp_dir("push"));
    let (mut a, mut b) = (Log::new(actor(1)), Log::new(actor(2)));
    let (mut ca, mut cb) = (relay.client("live").await, relay.client("live").await);
    ca.sync(&mut a).await.unwrap();
    cb.sync(&mut b).await.unwrap();
    let sent = append(&mut a, 5, "a");
    ca.sync(&mut a).await.unwrap();
    // b only listens: the relay sends a's events on its own.
    let mut got = 0;
    while got < sent.len() {
        got += cb.recv(&mut b).await.expect("pushed events").applied.len();
    }
    assert_eq!(events(&b), sent);
}

#[tokio::test]
async fn a_room_reopens_after_its_last_client_left() {
    let relay = RelayProc::start(&temp_dir("reopen"));
    let mut a = Log::new(actor(1));
    append(&mut a, 3, "first visit");
    let mut conn = relay.client("quiet").await;
    conn.sync(&mut a).await.unwrap();
    conn.close().await;
    assert!(relay.wait_for_log("closed by the client"));
    for round in 0..3 {
        let mut b = Log::new(actor(2 + round));
        relay.client("quiet").await.sync(&mut b).await.unwrap();
        assert_eq!(events(&b), events(&a));
    }
}

#[tokio::test]
async fn a_durable_replica_syncs_and_keeps_what_it_received() {
    use everlog::store::{FileOptions, FileStorage, Replica};
    let dir = temp_dir("replica");
    let relay = RelayProc::start(&dir.join("relay"));
    let mut a = Log::new(actor(1));
    let sent = append(&mut a, 4, "to the replica");
    relay.client("server-side").await.sync(&mut a).await.unwrap();

    let open = || async {
        Replica::open(FileStorage::open(dir.join("replica"), FileOptions::default()).unwrap(), None).await.unwrap()
    };
    let mut replica = open().await;
    let mut conn = relay.client("server-side").await;
    assert_eq!(conn.sync(&mut replica).await.unwrap(), sent.len());
    let drafts = vec![everlog::Draft::new("s", "FromServer", serde_json::json!({}))];
    let mine = replica.append(drafts, &everlog::AppendOptions::default(), 2_000).await.unwrap();
    conn.sync(&mut replica).await.unwrap();
    conn.close().await;
    drop(replica);

    // What the replica received is on its disk, and what it wrote reached the room.
    // The directory lock is an flock on a file descriptor: while another test thread of
    // this binary forks to start its relay, the child briefly shares every descriptor
    // (until exec closes them), ours included, so the lock may outlive `drop` by that
    // window. Retry the reopen for a moment; any other failure is still a failure.
    let mut tries = 0;
    let reopened = loop {
        match FileStorage::open(dir.join("replica"), FileOptions::default()) {
            Ok(s) => break Replica::open(s, None).await.unwrap(),
            Err(e) if e.name == "NoModificationAllowedError" && tries < 50 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("reopening the replica: {e:?}"),
        }
    };
    assert_eq!(reopened.log().len(), sent.len() + 1);
    a.receive(mine).unwrap();
    relay.client("server-side").await.sync(&mut a).await.unwrap();
    assert_eq!(events(&a), events(reopened.log()));
}
