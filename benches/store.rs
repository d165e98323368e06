//! Store throughput: 100k events (~100 B payload) appended in batches of 1,000 through a
//! `Replica` (prepare → encode → storage append → commit) to memory and to a file
//! (relaxed and strict durability), the raw storage append of pre-encoded batches, and a
//! cold open (load + decode + replay) of a 100k-event log.
//!
//! Run: `cargo bench --bench store`. Throughput is reported in events/s.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use everlog::codec::encode_events;
use everlog::store::{block_on, Durability, FileOptions, FileStorage, MemoryStorage, Replica, Storage};
use everlog::{ActorId, AppendOptions, Draft, Log};

#[path = "support/workload.rs"]
mod workload;

const EVENTS: usize = 100_000;
const BATCH: usize = 1_000;
const ACTOR: ActorId = ActorId::from_u128(0xbe7c);

fn batches() -> Vec<Vec<Draft>> {
    workload::cart_batches(EVENTS, BATCH)
}

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("everlog-bench-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file(dir: &Scratch, durability: Durability) -> FileStorage {
    FileStorage::open(&dir.0, FileOptions { durability, ..FileOptions::default() }).unwrap()
}

fn append_all<S: Storage>(storage: S, drafts: &[Vec<Draft>]) -> Replica<S> {
    block_on(async {
        let mut r = Replica::open(storage, Some(ACTOR)).await.unwrap();
        for (i, batch) in drafts.iter().enumerate() {
            r.append(batch.clone(), &AppendOptions::default(), 1_700_000_000_000 + i as u64).await.unwrap();
        }
        r
    })
}

fn replica_append(c: &mut Criterion) {
    let drafts = batches();
    let mut g = c.benchmark_group("replica_append_100k_in_batches_of_1000");
    g.throughput(Throughput::Elements(EVENTS as u64)).sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("memory", |b| {
        b.iter_batched(MemoryStorage::new, |s| append_all(s, &drafts), BatchSize::PerIteration)
    });
    for (name, d) in [("file_relaxed", Durability::Relaxed), ("file_strict", Durability::Strict)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let dir = Scratch::new();
                    let s = file(&dir, d);
                    (dir, s)
                },
                |(dir, s)| (dir, append_all(s, &drafts)),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn storage_append(c: &mut Criterion) {
    let mut log = Log::new(ACTOR);
    let encoded: Vec<Vec<u8>> =
        batches().into_iter().map(|d| encode_events(&log.append(d, &AppendOptions::default(), 1).unwrap())).collect();
    let bytes: usize = encoded.iter().map(Vec::len).sum();
    eprintln!("encoded: {bytes} bytes for {EVENTS} events ({:.1} B/event)", bytes as f64 / EVENTS as f64);
    let write = |s: &mut dyn FnMut(&[u8])| encoded.iter().for_each(|b| s(b));
    let mut g = c.benchmark_group("storage_append_encoded_100k_in_batches_of_1000");
    g.throughput(Throughput::Elements(EVENTS as u64)).sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("memory", |b| {
        b.iter_batched(
            MemoryStorage::new,
            |mut s| {
                write(&mut |x| block_on(s.append(x)).unwrap());
                s
            },
            BatchSize::PerIteration,
        )
    });
    for (name, d) in [("file_relaxed", Durability::Relaxed), ("file_strict", Durability::Strict)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let dir = Scratch::new();
                    let s = file(&dir, d);
                    (dir, s)
                },
                |(dir, mut s)| {
                    write(&mut |x| block_on(s.append(x)).unwrap());
                    (dir, s)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn cold_open(c: &mut Criterion) {
    let drafts = batches();
    let dir = Scratch::new();
    let mut r = append_all(file(&dir, Durability::Relaxed), &drafts);
    block_on(r.close()).unwrap();
    eprintln!("log file: {} bytes", std::fs::metadata(dir.0.join("log.evl")).unwrap().len());
    let mem = MemoryStorage::new();
    append_all(mem.reopen(), &drafts);

    let mut g = c.benchmark_group("cold_open_100k");
    g.throughput(Throughput::Elements(EVENTS as u64)).sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("file", |b| {
        b.iter(|| {
            let r = block_on(Replica::open(file(&dir, Durability::Relaxed), Some(ACTOR))).unwrap();
            assert_eq!(r.log().len(), EVENTS);
            r
        })
    });
    g.bench_function("memory", |b| {
        b.iter(|| {
            let r = block_on(Replica::open(mem.reopen(), Some(ACTOR))).unwrap();
            assert_eq!(r.log().len(), EVENTS);
            r
        })
    });
    g.finish();
}

criterion_group!(benches, replica_append, storage_append, cold_open);
criterion_main!(benches);
