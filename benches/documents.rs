//! Replay of the real editing traces through everlog's documents and through the
//! `automerge` crate directly, side by side in one run (what each replay does:
//! `benches/support/documents.rs`). Bytes stored, bytes synced and memory:
//! `examples/documents.rs`.
//!
//! ```text
//! cargo bench --features documents --bench documents                  # both traces
//! cargo bench --features documents --bench documents -- friendsforever
//! ```
//!
//! Throughput is in transactions (edits) per second; each transaction is one everlog
//! event, or one automerge commit.

#[path = "support/documents.rs"]
mod documents;
#[path = "../tests/support/trace.rs"]
mod trace;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn replay(c: &mut Criterion) {
    for (name, file) in [("friendsforever", "friendsforever.json.gz"), ("automerge-paper", "automerge-paper.json.gz")] {
        let t = trace::load_file(file);
        let past = documents::causal_past(&t);
        let mut g = c.benchmark_group(format!("documents/{name}"));
        // One replay takes from a fraction of a second to seconds: few, long samples.
        g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
        g.throughput(Throughput::Elements(t.txns.len() as u64));
        g.bench_function("everlog", |b| b.iter(|| black_box(documents::everlog(&t, &past))));
        g.bench_function("automerge", |b| b.iter(|| black_box(documents::automerge(&t, &past))));
        g.finish();
    }
}

criterion_group!(benches, replay);
criterion_main!(benches);
