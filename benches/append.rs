//! Core hot paths without storage: `Log::append` (prepare + commit + the returned
//! events) of 100k events (~80 B JSON payloads, 100 streams) in batches of 1,000, the
//! codec's encoding of those batches at the storage level, their decoding, and
//! `Log::restore` of the decoded events (a cold open is decode + restore).
//!
//! Run: `cargo bench --bench append`. Throughput is reported in events/s. For instruction
//! counts that the machine's load does not distort, see `examples/perf_probe.rs`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use everlog::codec::{decode_events, encode_events_with};
use everlog::store::storage_encoding;
use everlog::{ActorId, AppendOptions, Draft, Event, Log};

#[path = "support/workload.rs"]
mod workload;

const EVENTS: usize = 100_000;
const BATCH: usize = 1_000;
const ACTOR: ActorId = ActorId::from_u128(0xbe7c);

fn batches() -> Vec<Vec<Draft>> {
    workload::cart_batches(EVENTS, BATCH)
}

fn append_all(drafts: Vec<Vec<Draft>>) -> (Log, Vec<Vec<Event>>) {
    let mut log = Log::new(ACTOR);
    let out = drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| log.append(d, &AppendOptions::default(), 1_700_000_000_000 + i as u64).unwrap())
        .collect();
    (log, out)
}

fn core_paths(c: &mut Criterion) {
    let drafts = batches();
    let (_, appended) = append_all(drafts.clone());
    let opts = storage_encoding();
    let encoded: Vec<Vec<u8>> = appended.iter().map(|b| encode_events_with(b, &opts)).collect();
    let decoded: Vec<Event> = encoded.iter().flat_map(|b| decode_events(b).unwrap()).collect();

    let mut g = c.benchmark_group("core_100k_in_batches_of_1000");
    g.throughput(Throughput::Elements(EVENTS as u64)).sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("log_append", |b| b.iter_batched(|| drafts.clone(), append_all, BatchSize::PerIteration));
    g.bench_function("codec_encode", |b| {
        b.iter(|| appended.iter().map(|b| encode_events_with(b, &opts)).collect::<Vec<_>>())
    });
    g.bench_function("codec_decode", |b| {
        b.iter(|| encoded.iter().flat_map(|b| decode_events(b).unwrap()).collect::<Vec<_>>())
    });
    g.bench_function("log_restore", |b| {
        b.iter_batched(
            || decoded.clone(),
            |events| {
                let mut log = Log::new(ACTOR);
                log.restore(events).unwrap();
                log
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, core_paths);
criterion_main!(benches);
