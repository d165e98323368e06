//! Replica: persist first, apply second; replay on open; faults leave the log as it was.

mod common;

use common::TempDir;
use everlog::codec::{encode_events, encode_events_with, encode_log};
use everlog::store::{
    block_on, names, storage_encoding, Fault, FaultyStorage, FileOptions, FileStorage, MemoryStorage, Replica,
    SimulateCrash, Storage, ACTOR_META_KEY,
};
use everlog::{ActorId, AppendOptions, Draft, Error, Event, ExpectedVersion, Log};
use serde_json::json;

const ME: ActorId = ActorId::from_u128(0xA);
const PEER: ActorId = ActorId::from_u128(0xB);

fn drafts(n: usize, tag: &str) -> Vec<Draft> {
    (0..n)
        .map(|i| {
            let d =
                Draft::new(&format!("cart:{}", i % 3), "ItemAdded", json!({ "sku": format!("{tag}-{i}"), "qty": i }));
            match i % 4 {
                0 => d.key("title"),
                1 => d.meta("correlation", tag),
                2 => d.idempotency_key(&format!("{tag}-{i}")),
                _ => d,
            }
        })
        .collect()
}

fn any() -> AppendOptions {
    AppendOptions::default()
}

fn snapshot_of(log: &Log) -> (Vec<Event>, Vec<u8>) {
    (log.iter().map(|e| e.to_event()).collect(), encode_log(log))
}

/// A history with local batches, remote events (some concurrent, some depending on ours,
/// some arriving before their dependencies), and snapshots.
async fn write_history<S: Storage>(r: &mut Replica<S>) {
    let mut peer = Log::new(PEER);
    r.append(drafts(5, "a"), &any(), 1_000).await.unwrap();
    peer.append(drafts(3, "p"), &any(), 1_100).unwrap();
    peer.receive(r.log().iter().map(|e| e.to_event()).collect()).unwrap();
    peer.append(drafts(2, "q"), &any(), 1_200).unwrap();
    let theirs: Vec<Event> = peer.iter().filter(|e| e.id().actor == PEER).map(|e| e.to_event()).collect();
    // The last two first: they wait as pending, then the rest releases them.
    let got = r.receive(theirs[3..].to_vec()).await.unwrap();
    assert_eq!((got.applied.len(), got.pending), (0, 2));
    let got = r.receive(theirs[..3].to_vec()).await.unwrap();
    assert_eq!(got.applied.len(), 5);
    r.append(drafts(4, "b"), &any(), 900).await.unwrap();
    r.save_snapshot("view", b"state at 14").await.unwrap();
    r.put_meta("app.cursor", b"14").await.unwrap();
}

async fn reopen_gives_the_same_log<S: Storage>(storage: S, reopen: impl FnOnce(S) -> S) {
    let mut r = Replica::open(storage, None).await.unwrap();
    let actor = r.actor();
    write_history(&mut r).await;
    assert_eq!(r.log().len(), 14);
    let before = snapshot_of(r.log());
    let version = r.log().version().clone();
    r.close().await.unwrap();

    let (_, storage) = r.into_parts();
    let r = Replica::open(reopen(storage), None).await.unwrap();
    assert_eq!(r.actor(), actor, "the actor id is stored and reused");
    assert_eq!(snapshot_of(r.log()), before, "same events, same order, same bytes");
    assert_eq!(r.log().version(), &version);
    assert_eq!(r.snapshot("view"), Some(&b"state at 14"[..]));
    assert_eq!(r.meta("app.cursor"), Some(&b"14"[..]));
    assert_eq!(r.meta(ACTOR_META_KEY), Some(&actor.as_bytes()[..]));
}

#[test]
fn reopen_after_append_gives_the_same_log_memory() {
    block_on(reopen_gives_the_same_log(MemoryStorage::new(), |s| s.reopen()));
}

#[test]
fn reopen_after_append_gives_the_same_log_file() {
    let t = TempDir::new("replica");
    let dir = t.path().to_path_buf();
    let s = FileStorage::open(&dir, FileOptions::default()).unwrap();
    block_on(reopen_gives_the_same_log(s, |s| {
        drop(s);
        FileStorage::open(&dir, FileOptions::default()).unwrap()
    }));
}

#[test]
fn a_given_actor_is_used_and_not_stored() {
    block_on(async {
        let mem = MemoryStorage::new();
        let mut r = Replica::open(mem.reopen(), Some(ME)).await.unwrap();
        assert_eq!(r.actor(), ME);
        r.append(drafts(1, "x"), &any(), 1).await.unwrap();
        assert_eq!(r.meta(ACTOR_META_KEY), None);
        let r2 = Replica::open(mem.reopen(), Some(ME)).await.unwrap();
        assert_eq!(snapshot_of(r2.log()), snapshot_of(r.log()));
    });
}

/// The state a fault must leave untouched: log content and what storage holds.
async fn state<S: Storage>(r: &mut Replica<S>) -> ((Vec<Event>, Vec<u8>), usize) {
    let stored = r.storage_mut().load().await.map(|l| l.batches.len()).unwrap_or(usize::MAX);
    (snapshot_of(r.log()), stored)
}

#[test]
fn a_failed_append_or_receive_changes_nothing_and_the_replica_stays_usable() {
    block_on(async {
        let mem = MemoryStorage::new();
        let mut r = Replica::open(FaultyStorage::new(mem.reopen()), Some(ME)).await.unwrap();
        r.append(drafts(3, "a"), &any(), 10).await.unwrap();
        let before = state(&mut r).await;
        let pending_before = r.log().pending();

        r.storage_mut().fail_append(1, Fault::Fail(names::ABORT));
        let e = r.append(drafts(2, "b"), &any(), 20).await.unwrap_err();
        assert!(matches!(&e, Error::Storage(s) if s.name == names::ABORT), "{e:?}");
        assert_eq!(state(&mut r).await, before);

        let mut peer = Log::new(PEER);
        peer.append(drafts(4, "p"), &any(), 15).unwrap();
        let theirs: Vec<Event> = peer.iter().map(|e| e.to_event()).collect();
        r.storage_mut().fail_append(1, Fault::Fail(names::ABORT));
        // One event ready, one waiting: neither may stay after the failure.
        let e = r.receive(vec![theirs[0].clone(), theirs[2].clone()]).await.unwrap_err();
        assert!(matches!(e, Error::Storage(_)));
        assert_eq!(state(&mut r).await, before);
        assert_eq!(r.log().pending(), pending_before);

        // Usable afterwards: the same operations now succeed.
        r.append(drafts(2, "b"), &any(), 20).await.unwrap();
        r.receive(theirs.clone()).await.unwrap();
        assert_eq!(r.log().len(), 3 + 2 + 4);
        let after = snapshot_of(r.log());
        let reopened = Replica::open(mem.reopen(), Some(ME)).await.unwrap();
        assert_eq!(snapshot_of(reopened.log()), after, "storage holds exactly what was acknowledged");
    });
}

#[test]
fn quota_exceeded_is_a_typed_error_that_changes_nothing() {
    block_on(async {
        let mut r = Replica::open(FaultyStorage::new(MemoryStorage::new()), Some(ME)).await.unwrap();
        r.append(drafts(10, "a"), &any(), 10).await.unwrap();
        let used = r.storage().used_bytes();
        r.storage_mut().set_quota(Some(used + 20));
        let before = state(&mut r).await;
        let e = r.append(drafts(10, "b"), &any(), 20).await.unwrap_err();
        assert!(matches!(&e, Error::Storage(s) if s.name == names::QUOTA_EXCEEDED), "{e:?}");
        assert_eq!(e.code(), "STORAGE");
        assert_eq!(state(&mut r).await, before);
        let e = r.save_snapshot("big", &[0; 100]).await.unwrap_err();
        assert!(matches!(&e, Error::Storage(s) if s.name == names::QUOTA_EXCEEDED));
        assert_eq!(r.snapshot("big"), None);
        r.storage_mut().set_quota(None);
        r.append(drafts(10, "b"), &any(), 20).await.unwrap();
        assert_eq!(r.log().len(), 20);
    });
}

#[test]
fn storage_closed_mid_way_keeps_the_log_and_what_was_acknowledged() {
    block_on(async {
        let mem = MemoryStorage::new();
        let mut r = Replica::open(FaultyStorage::new(mem.reopen()), Some(ME)).await.unwrap();
        r.storage_mut().fail_append(3, Fault::Close);
        r.append(drafts(1, "a"), &any(), 1).await.unwrap();
        r.append(drafts(1, "b"), &any(), 2).await.unwrap();
        let before = snapshot_of(r.log());
        let e = r.append(drafts(1, "c"), &any(), 3).await.unwrap_err();
        assert!(matches!(&e, Error::Storage(s) if s.name == names::INVALID_STATE), "{e:?}");
        assert_eq!(snapshot_of(r.log()), before);
        let e = r.append(drafts(1, "d"), &any(), 4).await.unwrap_err();
        assert!(matches!(&e, Error::Storage(s) if s.name == names::INVALID_STATE));
        assert_eq!(r.log().len(), 2, "still readable");
        let reopened = Replica::open(mem.reopen(), Some(ME)).await.unwrap();
        assert_eq!(snapshot_of(reopened.log()), before);
    });
}

#[test]
fn a_crash_in_the_middle_of_a_file_append_loses_only_that_batch() {
    let t = TempDir::new("replica-torn");
    block_on(async {
        let open = || FileStorage::open(t.path(), FileOptions::default()).unwrap();
        let mut r = Replica::open(FaultyStorage::new(open()), None).await.unwrap();
        r.append(drafts(50, "a"), &any(), 1).await.unwrap();
        let before = snapshot_of(r.log());
        r.storage_mut().fail_append(1, Fault::Torn { keep: 300 });
        assert!(r.append(drafts(50, "b"), &any(), 2).await.is_err());
        assert_eq!(snapshot_of(r.log()), before);
        drop(r);
        let mut r = Replica::open(FaultyStorage::new(open()), None).await.unwrap();
        assert_eq!(snapshot_of(r.log()), before);
        assert_eq!(r.storage().inner().recovery().truncated_bytes, 300);
        r.append(drafts(50, "b"), &any(), 2).await.unwrap();
        assert_eq!(r.log().len(), 100);
    });
}

#[test]
fn a_crash_simulated_on_memory_stores_nothing() {
    block_on(async {
        let mem = MemoryStorage::new();
        let mut r = Replica::open(mem.reopen(), Some(ME)).await.unwrap();
        r.append(drafts(2, "a"), &any(), 1).await.unwrap();
        let mut s = mem.reopen();
        s.crash_during_append(b"whatever", 3);
        assert_eq!(mem.reopen().load().await.unwrap().batches.len(), 1);
    });
}

#[test]
fn repeated_idempotency_keys_write_nothing() {
    block_on(async {
        let mut r = Replica::open(FaultyStorage::new(MemoryStorage::new()), Some(ME)).await.unwrap();
        let d = vec![Draft::new("s", "T", json!(1)).idempotency_key("once")];
        let first = r.append(d.clone(), &any(), 1).await.unwrap();
        let appends = r.storage().appends();
        let again = r.append(d, &any(), 2).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(r.storage().appends(), appends);
    });
}

#[test]
fn concurrency_errors_come_before_storage() {
    block_on(async {
        let mut r = Replica::open(FaultyStorage::new(MemoryStorage::new()), Some(ME)).await.unwrap();
        r.append(drafts(1, "a"), &any(), 1).await.unwrap();
        let opts = AppendOptions { expected_version: ExpectedVersion::NoStream };
        let e = r.append(vec![Draft::new("cart:0", "T", json!(1))], &opts, 2).await.unwrap_err();
        assert!(matches!(e, Error::Concurrency { current: 1, .. }), "{e:?}");
        assert_eq!(r.storage().appends(), 1);
    });
}

#[test]
fn a_closed_replica_refuses_writes_and_stays_readable() {
    block_on(async {
        let mut r = Replica::open(MemoryStorage::new(), Some(ME)).await.unwrap();
        r.append(drafts(1, "a"), &any(), 1).await.unwrap();
        r.close().await.unwrap();
        r.close().await.unwrap();
        assert_eq!(r.append(drafts(1, "b"), &any(), 2).await.unwrap_err(), Error::Closed);
        assert_eq!(r.save_snapshot("s", b"x").await.unwrap_err(), Error::Closed);
        assert_eq!(r.log().len(), 1);
    });
}

#[test]
fn undecodable_stored_batches_are_typed_errors() {
    block_on(async {
        let mut mem = MemoryStorage::new();
        mem.append(b"not a batch").await.unwrap();
        let e = Replica::open(mem.reopen(), Some(ME)).await.unwrap_err();
        assert_eq!(e.code(), "DECODE", "{e:?}");

        let mut log = Log::new(ME);
        log.append(drafts(1, "a"), &any(), 1).unwrap();
        let mut bytes = encode_events(&log.iter().map(|e| e.to_event()).collect::<Vec<_>>());
        bytes[4] += 1; // a codec version from the future
        let mut mem = MemoryStorage::new();
        mem.append(&bytes).await.unwrap();
        let e = Replica::open(mem.reopen(), Some(ME)).await.unwrap_err();
        assert!(matches!(e, Error::Decode(everlog::DecodeError::UnsupportedVersion(2, 1))), "{e:?}");
    });
}

#[test]
fn stored_events_missing_their_dependencies_are_refused() {
    block_on(async {
        let mut log = Log::new(ME);
        log.append(drafts(2, "a"), &any(), 1).unwrap();
        let second: Vec<Event> = log.iter().skip(1).map(|e| e.to_event()).collect();
        let mut mem = MemoryStorage::new();
        mem.append(&encode_events(&second)).await.unwrap();
        let e = Replica::open(mem.reopen(), Some(ME)).await.unwrap_err();
        assert!(matches!(&e, Error::Storage(s) if s.name == names::DATA), "{e:?}");
    });
}

/// Every fault kind at every append of a short history, on a file: the reopened log holds
/// exactly the batches acknowledged before the fault.
#[test]
fn fault_sweep_on_file_reopens_to_what_was_acknowledged() {
    let t = TempDir::new("sweep");
    let faults = [Fault::Fail(names::ABORT), Fault::Close, Fault::Torn { keep: 0 }, Fault::Torn { keep: 41 }];
    for (f, fault) in faults.iter().enumerate() {
        for at in 1..=4u64 {
            let dir = t.sub(&format!("{f}-{at}"));
            let open = || FileStorage::open(&dir, FileOptions::relaxed()).unwrap();
            block_on(async {
                let mut r = Replica::open(FaultyStorage::new(open()), Some(ME)).await.unwrap();
                r.storage_mut().fail_append(at, fault.clone());
                let mut acknowledged = snapshot_of(r.log());
                for i in 1..=4u64 {
                    match r.append(drafts(3, &format!("{i}")), &any(), i).await {
                        Ok(_) => acknowledged = snapshot_of(r.log()),
                        Err(Error::Storage(_)) => assert_eq!(snapshot_of(r.log()), acknowledged),
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                }
                assert_eq!(r.log().len(), if *fault == Fault::Fail(names::ABORT) { 9 } else { 3 * (at as usize - 1) });
                drop(r);
                let r = Replica::open(open(), Some(ME)).await.unwrap();
                assert_eq!(snapshot_of(r.log()), acknowledged, "fault {fault:?} at append {at}");
            });
        }
    }
}

/// A real encoded batch torn at every byte offset of its record: every reopen shows the
/// log as it was before that batch, and the replica appends again afterwards.
#[test]
fn a_batch_torn_at_every_offset_reopens_to_the_previous_batch() {
    let t = TempDir::new("torn-every");
    let open = || FileStorage::open(t.path(), FileOptions::relaxed()).unwrap();
    block_on(async {
        let mut r = Replica::open(open(), Some(ME)).await.unwrap();
        r.append(drafts(10, "a"), &any(), 1).await.unwrap();
        let before = snapshot_of(r.log());
        let mut next = Log::new(ME);
        next.restore(before.0.clone()).unwrap();
        let torn = next.append(drafts(10, "b"), &any(), 2).unwrap();
        let record_len = everlog::store::file::RECORD_HEADER_LEN + encode_events_with(&torn, &storage_encoding()).len();
        drop(r);
        for keep in 0..record_len {
            let mut r = Replica::open(FaultyStorage::new(open()), Some(ME)).await.unwrap();
            assert_eq!(snapshot_of(r.log()), before, "after a cut at byte {keep}");
            r.storage_mut().fail_append(1, Fault::Torn { keep });
            assert!(r.append(drafts(10, "b"), &any(), 2).await.is_err());
        }
        // The sweep covered the whole record: with every byte written, the batch is there.
        let mut r = Replica::open(FaultyStorage::new(open()), Some(ME)).await.unwrap();
        assert_eq!(snapshot_of(r.log()), before);
        r.storage_mut().fail_append(1, Fault::Torn { keep: record_len });
        assert!(r.append(drafts(10, "b"), &any(), 2).await.is_err());
        let r = Replica::open(open(), Some(ME)).await.unwrap();
        assert_eq!(snapshot_of(r.log()), snapshot_of(&next), "the same batch, complete");
    });
}
