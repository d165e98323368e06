//! Toolkit throughput on a 100k-event log from two actors (~100 B payloads):
//! - a consumer draining the whole log in batches of 100 (acking every event), from
//!   scratch: the per-batch cost must not grow with the backlog;
//! - CloudEvents export of the whole log, and import into an empty log (parse + receive).
//!
//! Run: `cargo bench --bench toolkit`. Throughput is reported in events/s.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use everlog::toolkit::{export_cloudevents, import_cloudevents, Consumer, ExportOptions};
use everlog::{ActorId, AppendOptions, Draft, Filter, Log};

const EVENTS: usize = 100_000;

fn log() -> Log {
    let (mut a, mut b) = (Log::new(ActorId::from_u128(1)), Log::new(ActorId::from_u128(2)));
    for batch in 0..EVENTS / 2_000 {
        for (log, tag) in [(&mut a, "a"), (&mut b, "b")] {
            let drafts = (0..1_000)
                .map(|i| {
                    let data =
                        format!(r#"{{"sku":"{tag}-{i:05}","qty":{},"note":"added from the product page"}}"#, i % 7);
                    Draft {
                        data,
                        ..Draft::new(
                            &format!("cart:{}", i % 50),
                            if i % 4 == 0 { "B" } else { "A" },
                            serde_json::Value::Null,
                        )
                    }
                })
                .collect();
            log.append(drafts, &AppendOptions::default(), batch as u64).unwrap();
        }
        let missing: Vec<_> = b.missing_from(a.version()).map(|e| e.to_event()).collect();
        a.receive(missing).unwrap();
        let missing: Vec<_> = a.missing_from(b.version()).map(|e| e.to_event()).collect();
        b.receive(missing).unwrap();
    }
    a
}

fn toolkit(c: &mut Criterion) {
    let log = log();
    let text = export_cloudevents(&log, &Filter::default(), &ExportOptions::default()).unwrap();
    let mut g = c.benchmark_group("toolkit");
    g.throughput(Throughput::Elements(EVENTS as u64)).sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("consumer_drain_batches_of_100", |bench| {
        bench.iter(|| {
            let mut c = Consumer::new("bench", ["A"]);
            loop {
                let batch = c.next_batch(&log, 0, 100, None);
                if batch.is_empty() {
                    break;
                }
                for e in &batch {
                    c.ack(&e.id).unwrap();
                }
            }
            assert_eq!(c.lag(&log), 0);
        })
    });
    g.bench_function("cloudevents_export", |bench| {
        bench.iter(|| export_cloudevents(&log, &Filter::default(), &ExportOptions::default()).unwrap().len())
    });
    g.bench_function("cloudevents_import", |bench| {
        bench.iter(|| {
            let mut copy = Log::new(ActorId::from_u128(3));
            import_cloudevents(&mut copy, &text).unwrap().applied.len()
        })
    });
    g.finish();
}

criterion_group!(benches, toolkit);
criterion_main!(benches);
