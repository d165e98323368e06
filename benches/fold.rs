//! Fold throughput: built-in folds over 1M events, and a projection catching up after a
//! merge that lands early in the total order.
//!
//! Run: `cargo bench --bench fold`. Criterion prints events/s (`thrpt`).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use everlog::fold::{Count, GroupSum, Sum};
use everlog::*;
use serde_json::json;
use std::hint::black_box;

const N: usize = 1_000_000;

fn actor(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

/// A log of `n` local events in one stream, payloads like `{"sku":"sku-17","qty":3}`
/// (`wide` adds ~70 bytes of other fields before them, ~100 B in all).
fn build(a: ActorId, n: usize, wide: bool) -> Log {
    let mut log = Log::new(a);
    let mut i = 0;
    while i < n {
        let batch: Vec<Draft> = (i..(i + 1000).min(n))
            .map(|j| {
                let data = if wide {
                    json!({"note": "a longer payload, as apps write", "at": 1_700_000_000_000u64 + j as u64,
                           "sku": format!("sku-{}", j % 100), "qty": (j % 7) as i64})
                } else {
                    json!({"sku": format!("sku-{}", j % 100), "qty": (j % 7) as i64})
                };
                Draft::new("cart:1", "ItemAdded", data)
            })
            .collect();
        log.append(batch, &AppendOptions::default(), 1_000 + i as u64).unwrap();
        i += 1000;
    }
    log
}

fn builtins(c: &mut Criterion) {
    let all = Filter::default();
    for (name, wide) in [("small", false), ("100B", true)] {
        let log = build(actor(1), N, wide);
        let mut g = c.benchmark_group(format!("fold_1M_{name}"));
        g.throughput(Throughput::Elements(N as u64));
        g.sample_size(10);
        g.bench_function("count", |b| b.iter(|| black_box(log.fold(&Count, &all))));
        g.bench_function("sum", |b| b.iter(|| black_box(log.fold(&Sum::new("qty"), &all))));
        g.bench_function("groupSum", |b| b.iter(|| black_box(log.fold(&GroupSum::new("sku", "qty"), &all))));
        // Cold: the column cache is dropped first, so the JSON scan is measured too.
        g.bench_function("sum_cold", |b| {
            b.iter(|| {
                log.clear_fold_cache();
                black_box(log.fold(&Sum::new("qty"), &all))
            })
        });
        g.bench_function("groupSum_cold", |b| {
            b.iter(|| {
                log.clear_fold_cache();
                black_box(log.fold(&GroupSum::new("sku", "qty"), &all))
            })
        });
        g.bench_function("builtin_groupSum", |b| {
            b.iter(|| black_box(log.fold(&Builtin::group_sum("sku", "qty"), &all)))
        });
        g.finish();
    }
}

/// 100k local events; another replica that saw the first half appends 10 events, which
/// sort into the middle of the order. The projection rewinds to its last checkpoint
/// before them and replays the rest (~50k events).
fn early_merge(c: &mut Criterion) {
    const M: usize = 100_000;
    let a = build(actor(2), M, false);
    let mut b = Log::new(actor(1));
    let first_half: Vec<Event> = a.iter().take(M / 2).map(|e| e.to_event()).collect();
    b.receive(first_half).unwrap();
    let drafts = (0..10).map(|i| Draft::new("cart:1", "ItemAdded", json!({"sku": "late", "qty": i}))).collect();
    let late = b.append(drafts, &AppendOptions::default(), 5).unwrap();
    let mut merged = a.clone();
    merged.receive(late.clone()).unwrap();
    let fold = GroupSum::new("sku", "qty");
    let proj = Projection::open(&a, fold.clone(), Filter::default(), ProjectionOptions::default());
    let replayed = merged.iter().filter(|e| e.order_key() >= late[0].order_key()).count();

    let mut g = c.benchmark_group("projection_100k");
    g.sample_size(20);
    g.throughput(Throughput::Elements(replayed as u64));
    g.bench_function("update_after_early_merge", |bch| {
        bch.iter_batched(
            || proj.clone(),
            |mut p| {
                let r = p.update(&merged);
                assert!(r.rewound);
                p
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("update_with_after_early_merge", |bch| {
        bch.iter_batched(
            || proj.clone(),
            |mut p| {
                p.update_with(&merged, &late);
                p
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
    let mut p = proj.clone();
    p.update(&merged);
    assert_eq!(p.state(), &merged.fold(&fold, &Filter::default()));
}

criterion_group!(benches, builtins, early_merge);
criterion_main!(benches);
