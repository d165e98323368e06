//! FaultyStorage: each fault fires where planned and does what the contract says.

mod common;

use common::TempDir;
use everlog::store::{block_on, names, Fault, FaultyStorage, FileOptions, FileStorage, MemoryStorage, Storage};

fn stored(mem: &MemoryStorage) -> Vec<Vec<u8>> {
    block_on(mem.reopen().load()).unwrap().batches
}

#[test]
fn the_nth_append_fails_and_stores_nothing() {
    let mem = MemoryStorage::new();
    let mut s = FaultyStorage::new(mem.reopen());
    s.fail_append(3, Fault::Fail(names::ABORT));
    for i in 1..=5u8 {
        let r = block_on(s.append(&[i]));
        if i == 3 {
            assert_eq!(r.unwrap_err().name, names::ABORT);
        } else {
            r.unwrap();
        }
    }
    assert_eq!(stored(&mem), vec![vec![1], vec![2], vec![4], vec![5]]);
    assert_eq!((s.appends(), s.faults_fired()), (5, 1));
}

#[test]
fn faults_are_planned_relative_to_now() {
    let mut s = FaultyStorage::new(MemoryStorage::new());
    block_on(s.append(b"a")).unwrap();
    block_on(s.append(b"b")).unwrap();
    s.fail_append(1, Fault::Fail(names::ABORT));
    assert!(block_on(s.append(b"c")).is_err());
    block_on(s.append(b"c")).unwrap();
}

#[test]
fn the_quota_counts_what_is_stored_and_replaced() {
    let mem = MemoryStorage::new();
    let mut s = FaultyStorage::new(mem.reopen());
    block_on(s.append(&[0; 60])).unwrap();
    let mut s = FaultyStorage::new(mem.reopen());
    s.set_quota(Some(100));
    assert_eq!(block_on(s.load()).unwrap().batches.len(), 1);
    assert_eq!(s.used_bytes(), 60);
    block_on(s.put_snapshot("v", &[0; 30])).unwrap(); // 1 + 30 bytes: 91
    assert_eq!(block_on(s.append(&[0; 10])).unwrap_err().name, names::QUOTA_EXCEEDED);
    block_on(s.put_snapshot("v", &[0; 5])).unwrap(); // replaces: 66
    block_on(s.append(&[0; 10])).unwrap(); // 76
    assert_eq!(block_on(s.put_meta("m", &[0; 30])).unwrap_err().name, names::QUOTA_EXCEEDED);
    assert_eq!(s.used_bytes(), 76);
    assert_eq!(mem.stored_bytes(), 76, "the budget agrees with what is stored");
}

#[test]
fn a_close_mid_way_kills_the_handle_but_keeps_the_data() {
    let mem = MemoryStorage::new();
    let mut s = FaultyStorage::new(mem.reopen());
    s.fail_append(2, Fault::Close);
    block_on(s.append(b"a")).unwrap();
    assert_eq!(block_on(s.append(b"b")).unwrap_err().name, names::INVALID_STATE);
    assert_eq!(block_on(s.put_meta("k", b"v")).unwrap_err().name, names::INVALID_STATE);
    assert_eq!(block_on(s.load()).unwrap_err().name, names::INVALID_STATE);
    block_on(s.close()).unwrap();
    assert_eq!(stored(&mem), vec![b"a".to_vec()]);
}

#[test]
fn a_torn_write_reaches_the_file_in_part_and_reopen_removes_it() {
    let t = TempDir::new("faulty-torn");
    let open = || FileStorage::open(t.path(), FileOptions::default()).unwrap();
    let mut s = FaultyStorage::new(open());
    s.fail_append(2, Fault::Torn { keep: 7 });
    block_on(s.append(b"kept")).unwrap();
    let len = s.inner().file_len();
    assert_eq!(block_on(s.append(b"torn batch")).unwrap_err().name, names::INVALID_STATE);
    assert_eq!(std::fs::metadata(t.path().join("log.evl")).unwrap().len(), len + 7, "a prefix reached the file");
    drop(s);
    let mut s = open();
    assert_eq!(s.recovery().truncated_bytes, 7);
    assert_eq!(block_on(s.load()).unwrap().batches, vec![b"kept".to_vec()]);
}
