//! The behaviour every [`Storage`] backend must show, as a reusable test suite.
//!
//! Every backend (memory, file, the fault injector, and IndexedDB under
//! `wasm-bindgen-test`) runs these same checks, so "implements `Storage`" means the same
//! thing everywhere. The suite is generic over a [`Harness`] that makes fresh stores and
//! reopens them; it panics with a message on the first broken rule, like `assert!` in a
//! test does. It is part of the library (not `cfg(test)`) so that backends in other
//! crates or targets can run it.

use std::collections::BTreeMap;

use super::storage::{names, Loaded, Storage};

/// Makes stores for the contract suite.
#[allow(async_fn_in_trait)]
pub trait Harness {
    type S: Storage;
    /// A handle on a new, empty store.
    async fn fresh(&mut self) -> Self::S;
    /// A new handle on the store the last [`fresh`](Self::fresh) made, as after a restart.
    /// The suite closes or drops the previous handle first.
    async fn reopen(&mut self) -> Self::S;
}

/// Runs every check of the contract.
pub async fn run_all<H: Harness>(h: &mut H) {
    empty_store_loads_empty(h).await;
    batches_come_back_in_order_byte_for_byte(h).await;
    snapshots_and_meta_last_write_wins(h).await;
    closed_handle_refuses_everything(h).await;
    dropped_handle_loses_nothing(h).await;
}

fn sample_batches() -> Vec<Vec<u8>> {
    vec![
        b"first".to_vec(),
        Vec::new(),
        (0..=255u8).collect(),
        // Larger than a page and a typical chunk, with a pattern that catches reordering.
        (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect(),
        b"last".to_vec(),
    ]
}

async fn load<S: Storage>(s: &mut S) -> Loaded {
    match s.load().await {
        Ok(l) => l,
        Err(e) => panic!("load failed: {e}"),
    }
}

pub async fn empty_store_loads_empty<H: Harness>(h: &mut H) {
    let mut s = h.fresh().await;
    assert_eq!(load(&mut s).await, Loaded::default(), "a fresh store must load empty");
    s.close().await.expect("close");
    let mut s = h.reopen().await;
    assert_eq!(load(&mut s).await, Loaded::default(), "a reopened empty store must load empty");
    s.close().await.expect("close");
}

pub async fn batches_come_back_in_order_byte_for_byte<H: Harness>(h: &mut H) {
    let batches = sample_batches();
    let mut s = h.fresh().await;
    for b in &batches {
        s.append(b).await.expect("append");
    }
    let got = load(&mut s).await;
    assert!(got.batches == batches, "load on the writing handle must return the batches in order");
    assert_eq!(load(&mut s).await, got, "load must be repeatable");
    s.close().await.expect("close");

    let mut s = h.reopen().await;
    assert!(load(&mut s).await.batches == batches, "batches must survive a reopen, in order");
    s.append(b"after reopen").await.expect("append after reopen");
    s.close().await.expect("close");

    let mut s = h.reopen().await;
    let got = load(&mut s).await.batches;
    assert_eq!(got.len(), batches.len() + 1);
    assert_eq!(got.last().map(Vec::as_slice), Some(&b"after reopen"[..]));
    s.close().await.expect("close");
}

pub async fn snapshots_and_meta_last_write_wins<H: Harness>(h: &mut H) {
    let mut s = h.fresh().await;
    s.append(b"one").await.expect("append");
    s.put_snapshot("b", b"b1").await.expect("snapshot");
    s.put_snapshot("a", b"a1").await.expect("snapshot");
    s.put_meta("actor", &[7; 16]).await.expect("meta");
    s.append(b"two").await.expect("append");
    s.put_snapshot("b", b"b2").await.expect("snapshot");
    s.put_snapshot("empty", b"").await.expect("snapshot");
    s.put_meta("actor", &[8; 16]).await.expect("meta");
    s.put_meta("other", b"x").await.expect("meta");

    let want = Loaded {
        batches: vec![b"one".to_vec(), b"two".to_vec()],
        snapshots: vec![("a".into(), b"a1".to_vec()), ("b".into(), b"b2".to_vec()), ("empty".into(), Vec::new())],
        meta: BTreeMap::from([("actor".into(), vec![8; 16]), ("other".into(), b"x".to_vec())]),
    };
    assert_eq!(load(&mut s).await, want, "snapshots sorted by name and meta, last write wins");
    s.close().await.expect("close");
    let mut s = h.reopen().await;
    assert_eq!(load(&mut s).await, want, "snapshots and meta must survive a reopen");
    s.close().await.expect("close");
}

pub async fn closed_handle_refuses_everything<H: Harness>(h: &mut H) {
    let mut s = h.fresh().await;
    s.append(b"kept").await.expect("append");
    s.close().await.expect("close");
    s.close().await.expect("closing twice is fine");
    let state = |r: Result<(), crate::core::error::StorageError>, what: &str| match r {
        Err(e) => assert_eq!(e.name, names::INVALID_STATE, "{what} after close: wrong error {e}"),
        Ok(()) => panic!("{what} after close must fail"),
    };
    state(s.append(b"lost").await, "append");
    state(s.put_snapshot("s", b"lost").await, "put_snapshot");
    state(s.put_meta("m", b"lost").await, "put_meta");
    state(s.load().await.map(drop), "load");
    drop(s);
    let mut s = h.reopen().await;
    let got = load(&mut s).await;
    assert_eq!(got.batches, vec![b"kept".to_vec()], "writes after close must not be stored");
    assert!(got.snapshots.is_empty() && got.meta.is_empty(), "writes after close must not be stored");
    s.close().await.expect("close");
}

pub async fn dropped_handle_loses_nothing<H: Harness>(h: &mut H) {
    let mut s = h.fresh().await;
    s.append(b"a").await.expect("append");
    s.put_meta("k", b"v").await.expect("meta");
    drop(s);
    let mut s = h.reopen().await;
    let got = load(&mut s).await;
    assert_eq!(got.batches, vec![b"a".to_vec()], "an acknowledged append survives a drop without close");
    assert_eq!(got.meta.get("k").map(Vec::as_slice), Some(&b"v"[..]));
    s.close().await.expect("close");
}
