//! `kill -9` of the relay in the middle of syncing: nothing acknowledged is lost, no batch
//! is cut in half, and every client converges after the restart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use everlog::relay::Connection;
use everlog::Log;

use crate::harness::*;

const CLIENTS: u128 = 4;
const BATCH: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_sync_loses_nothing_acknowledged() {
    let mut relay = RelayProc::start(&temp_dir("kill9"));
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..CLIENTS).map(|_| AtomicU64::new(0)).collect());
    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let conn = relay.client("crash").await;
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move { write_until_failure(n, conn, &acked[n as usize]).await }));
    }
    // Let every client get some batches acknowledged, then kill the relay mid-flight.
    while acked.iter().any(|a| a.load(Ordering::SeqCst) < 4 * BATCH as u64) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    relay.kill9();
    let mut clients = Vec::new();
    for t in tasks {
        clients.push(t.await.expect("client task"));
    }
    let before: Vec<u64> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();

    // Before anyone reconnects, the restarted relay holds every acknowledged event, and
    // only whole batches.
    let relay = relay.restart();
    let mut observer = Log::new(actor(100));
    relay.client("crash").await.sync(&mut observer).await.unwrap();
    for n in 0..CLIENTS {
        let stored = observer.version().get(&actor(n + 1));
        assert!(stored >= before[n as usize], "client {n}: acked {} but stored {stored}", before[n as usize]);
        assert_eq!(stored % BATCH as u64, 0, "client {n}: a cut batch ({stored} events)");
    }

    // Everyone reconnects; two rounds make every client hold every event.
    for _ in 0..2 {
        for (log, conn) in clients.iter_mut() {
            conn.reconnect(100).await.expect("reconnect");
            conn.sync(log).await.expect("sync after restart");
        }
    }
    let mut check = Log::new(actor(101));
    relay.client("crash").await.sync(&mut check).await.unwrap();
    for (n, (log, _)) in clients.iter().enumerate() {
        assert_eq!(log.version(), check.version(), "client {n} did not converge");
        assert_eq!(events(log), events(&check));
        assert_eq!(
            check.version().get(&actor(n as u128 + 1)) as usize,
            log.iter().filter(|e| e.id().actor == actor(n as u128 + 1)).count()
        );
    }
}

/// Appends a batch and syncs, again and again, until the connection fails; records the
/// highest own seq the relay acknowledged.
async fn write_until_failure(n: u128, mut conn: Connection, acked: &AtomicU64) -> (Log, Connection) {
    let me = actor(n + 1);
    let mut log = Log::new(me);
    for round in 0..100_000 {
        append(&mut log, BATCH, &format!("c{n}r{round}"));
        if conn.sync(&mut log).await.is_err() {
            break;
        }
        let ack = conn.acknowledged().map_or(0, |v| v.get(&me));
        acked.store(ack, Ordering::SeqCst);
    }
    (log, conn)
}
