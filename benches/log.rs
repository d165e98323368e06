//! Core log benchmarks (native). Throughput is reported in events (or queries) per
//! second. DESIGN.md's floor for merging 100k remote events is 2M events/s (in wasm;
//! natively it must be well above).
//!
//! ```text
//! cargo bench --bench log                 # everything
//! cargo bench --bench log -- merge        # one group
//! ```

#[path = "../tests/sim/prng.rs"]
mod prng;
#[path = "../tests/support/trace.rs"]
mod trace;
#[path = "support/workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use everlog::{ActorId, AppendOptions, Event, Log};

const LOCAL: ActorId = ActorId::from_u128(0x10ca1);

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    let opts = AppendOptions::default();

    // One event per append call, into a log that grows to 10k events and starts over.
    g.throughput(Throughput::Elements(1));
    g.bench_function("single", |b| {
        let drafts: Vec<_> = (0..10_000).map(workload::draft).collect();
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let mut log = Log::new(LOCAL);
                let n = (iters - done).min(drafts.len() as u64) as usize;
                let batch: Vec<_> = drafts[..n].to_vec();
                let start = Instant::now();
                for (i, d) in batch.into_iter().enumerate() {
                    black_box(log.append(vec![d], &opts, i as u64).unwrap());
                }
                spent += start.elapsed();
                done += n as u64;
            }
            spent
        })
    });

    // Batches of 1,000 events, into a log that grows to 100k events and starts over.
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("batch_1000", |b| {
        let batches: Vec<Vec<_>> =
            (0..100).map(|k| (k * 1_000..(k + 1) * 1_000).map(workload::draft).collect()).collect();
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let mut log = Log::new(LOCAL);
                let n = (iters - done).min(batches.len() as u64) as usize;
                let input: Vec<Vec<_>> = batches[..n].to_vec();
                let start = Instant::now();
                for (i, batch) in input.into_iter().enumerate() {
                    black_box(log.append(batch, &opts, i as u64).unwrap());
                }
                spent += start.elapsed();
                done += n as u64;
            }
            spent
        })
    });
    g.finish();
}

fn merge(c: &mut Criterion) {
    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    for actors in [2, 3] {
        let events = workload::remote_events(100_000, actors);
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_function(format!("100k_{actors}_actors_one_batch"), |b| {
            b.iter_batched(
                || events.clone(),
                |evs| {
                    let mut log = Log::new(LOCAL);
                    black_box(log.receive(evs).unwrap());
                    log
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function(format!("100k_{actors}_actors_batches_of_1000"), |b| {
            b.iter_batched(
                || events.chunks(1_000).map(<[Event]>::to_vec).collect::<Vec<_>>(),
                |batches| {
                    let mut log = Log::new(LOCAL);
                    for batch in batches {
                        black_box(log.receive(batch).unwrap());
                    }
                    log
                },
                BatchSize::PerIteration,
            )
        });
    }
    // The real trace: 26k events, two actors, heavy concurrency.
    let t = trace::load();
    g.throughput(Throughput::Elements(t.events.len() as u64));
    g.bench_function("trace_friendsforever", |b| {
        b.iter_batched(
            || t.events.clone(),
            |evs| {
                let mut log = Log::new(LOCAL);
                black_box(log.receive(evs).unwrap());
                log
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn happened_before(c: &mut Criterion) {
    let t = trace::load();
    let mut log = Log::new(LOCAL);
    log.receive(t.events.clone()).unwrap();
    let mut rng = prng::Prng::new(7);
    let n = t.events.len();
    let pairs: Vec<_> = (0..100_000).map(|_| (t.events[rng.below(n)].id, t.events[rng.below(n)].id)).collect();
    let mut g = c.benchmark_group("happened_before");
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("trace_100k_random_pairs", |b| {
        b.iter(|| pairs.iter().filter(|(a, b)| log.happened_before(a, b)).count())
    });
    g.finish();
}

criterion_group!(benches, append, merge, happened_before);
criterion_main!(benches);
