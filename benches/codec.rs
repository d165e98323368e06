//! Codec and sync benchmarks on a realistic mix: 100k cart events (~100-byte JSON
//! payloads, 4 streams, 3 actors that write in bursts and merge now and then, so some
//! events carry dependencies and 10% carry a meta entry).
//!
//! Besides timings it prints the size figures the budget is about (≤ 8 bytes of metadata
//! per event on the wire, after compression):
//! - wire B/event: encoded bytes / events;
//! - payload B/event: raw JSON bytes / events;
//! - metadata B/event: wire minus payload, per event (negative when compression saves
//!   more on the payloads than the metadata costs);
//! - metadata-only B/event: the same events with a 1-byte payload, encoded, per event:
//!   what the metadata costs on its own after compression.
//!
//! Run: `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use everlog::codec::{self, EncodeOptions};
use everlog::sync::{self, SyncState};
use everlog::{ActorId, AppendOptions, Draft, Event, Log};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn draft(rng: &mut Rng) -> Draft {
    const TYPES: [&str; 3] = ["ItemAdded", "ItemRemoved", "QuantityChanged"];
    let sku = format!("SKU-{:05}", rng.below(500));
    let data = serde_json::json!({
        "sku": sku,
        "qty": 1 + rng.below(5),
        "price": 100 + rng.below(9900),
        "currency": "EUR",
        "session": format!("{:08x}", rng.below(1 << 32)),
        "note": if rng.below(3) == 0 { "gift wrap" } else { "" },
    });
    let mut d = Draft::new(&format!("cart:{}", rng.below(4)), TYPES[rng.below(3) as usize], data).key(&sku);
    if rng.below(10) == 0 {
        d = d.meta("schema", "2");
    }
    d
}

/// `per_actor` events from each of `actors` replicas that write bursts of 1–20 events
/// and merge everything every ~50 bursts.
fn logs(actors: u128, per_actor: usize, seed: u64) -> Vec<Log> {
    let mut rng = Rng(seed | 1);
    let mut logs: Vec<Log> = (1..=actors).map(|a| Log::new(ActorId::from_u128(a * 0x9e37_79b9))).collect();
    let mut now = 1_700_000_000_000u64;
    let mut bursts = 0;
    while logs.iter().any(|l| l.version().get(&l.actor()) < per_actor as u64) {
        let i = rng.below(actors as u64) as usize;
        let have = logs[i].version().get(&logs[i].actor()) as usize;
        let k = (1 + rng.below(20) as usize).min(per_actor - have);
        if k > 0 {
            let drafts = (0..k).map(|_| draft(&mut rng)).collect();
            now += rng.below(3_000);
            logs[i].append(drafts, &AppendOptions::default(), now).unwrap();
        }
        bursts += 1;
        if bursts % 50 == 0 {
            for i in 0..logs.len() {
                for j in 0..logs.len() {
                    let news: Vec<Event> = logs[i].missing_from(logs[j].version()).map(|e| e.to_event()).collect();
                    if i != j && !news.is_empty() {
                        logs[j].receive(news).unwrap();
                    }
                }
            }
        }
    }
    logs
}

/// CPU time of this thread in ns (Linux), to report costs that the machine's load does
/// not inflate the way it inflates wall-clock time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Runs `f` once and prints its CPU time.
fn cpu<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = cpu_ns();
    let out = f();
    if let (Some(a), Some(b)) = (start, cpu_ns()) {
        println!("{label}: {:.1} ms CPU (one run)", (b - a) as f64 / 1e6);
    }
    out
}

fn sizes(label: &str, events: &[Event], opts: &EncodeOptions) {
    let n = events.len() as f64;
    let wire = codec::encode_events_with(events, opts).len() as f64;
    let payload: usize = events.iter().map(|e| e.data.len()).sum();
    let thin: Vec<Event> = events.iter().map(|e| Event { data: "0".into(), ..e.clone() }).collect();
    let meta_only = codec::encode_events_with(&thin, opts).len() as f64 - n;
    println!(
        "{label}: {} events, wire {:.1} B/event, payload {:.1} B/event, metadata {:.1} B/event, \
         metadata-only {:.2} B/event",
        events.len(),
        wire / n,
        payload as f64 / n,
        (wire - payload as f64) / n,
        meta_only / n
    );
}

fn bench_codec(c: &mut Criterion) {
    let all = logs(3, 33_334, 7);
    let mut merged = all[0].clone();
    for l in &all[1..] {
        merged.receive(l.missing_from(merged.version()).map(|e| e.to_event()).collect()).unwrap();
    }
    let events: Vec<Event> = merged.iter().take(100_000).map(|e| e.to_event()).collect();
    let with_deps = events.iter().filter(|e| !e.deps().is_empty()).count();
    println!("mix: {} events, {} with dependencies, 3 actors", events.len(), with_deps);
    for level in [1, 2, 3, 4, 6, 9] {
        let opts = EncodeOptions { level, ..EncodeOptions::default() };
        sizes(&format!("batch, deflate level {level}"), &events, &opts);
        cpu(&format!("encode 100k, level {level}"), || codec::encode_events_with(&events, &opts));
    }
    sizes("batch, uncompressed", &events, &EncodeOptions { level: 0, ..EncodeOptions::default() });

    let bytes = codec::encode_events(&events);
    cpu("decode 100k", || codec::decode_events(&bytes).unwrap());
    cpu("decode_log 100k (decode + Log::receive)", || {
        codec::decode_log(&codec::encode_log(&merged), ActorId::from_u128(5), Default::default()).unwrap()
    });
    let mut g = c.benchmark_group("codec_100k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("encode_events", |b| b.iter(|| codec::encode_events(black_box(&events))));
    g.bench_function("encode_events_level1", |b| {
        let opts = EncodeOptions { level: 1, ..EncodeOptions::default() };
        b.iter(|| codec::encode_events_with(black_box(&events), &opts))
    });
    g.bench_function("decode_events", |b| b.iter(|| codec::decode_events(black_box(&bytes)).unwrap()));
    g.bench_function("encode_log", |b| b.iter(|| codec::encode_log(black_box(&merged))));
    g.finish();
}

/// Runs a full sync; returns (messages, wire bytes).
fn sync_pair(a: &mut Log, b: &mut Log) -> (u64, u64) {
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    loop {
        let mut quiet = true;
        while let Some(m) = sync::generate_message(a, &mut sa) {
            sync::receive_message(b, &mut sb, &m).unwrap();
            quiet = false;
        }
        while let Some(m) = sync::generate_message(b, &mut sb) {
            sync::receive_message(a, &mut sa, &m).unwrap();
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    let (x, y) = (sa.stats(), sb.stats());
    (x.messages_sent + y.messages_sent, x.bytes_sent + y.bytes_sent)
}

fn bench_sync(c: &mut Criterion) {
    // A shared history, then 50k events written on each side while apart.
    let base = logs(1, 1_000, 3).remove(0);
    let mut a = base.clone();
    let mut b = Log::new(ActorId::from_u128(0xb0b));
    b.receive(base.iter().map(|e| e.to_event()).collect()).unwrap();
    let mut rng = Rng(11);
    let mut now = 1_800_000_000_000;
    for log in [&mut a, &mut b] {
        for _ in 0..2_500 {
            let drafts = (0..20).map(|_| draft(&mut rng)).collect();
            now += rng.below(3_000);
            log.append(drafts, &AppendOptions::default(), now).unwrap();
        }
    }
    let (mut x, mut y) = (a.clone(), b.clone());
    let (messages, wire) = cpu("sync 2 × 50k", || sync_pair(&mut x, &mut y));
    assert_eq!(x.version(), y.version());
    let moved = 100_000.0;
    let payload: usize = x.iter().filter(|e| !base.version().includes(&e.id())).map(|e| e.data().len()).sum();
    println!(
        "sync of 2 × 50k diverged events: {messages} messages, {wire} wire bytes, wire {:.1} B/event, \
         payload {:.1} B/event, metadata {:.1} B/event",
        wire as f64 / moved,
        payload as f64 / moved,
        (wire as f64 - payload as f64) / moved
    );

    let thin = |l: &Log| {
        let mut t = Log::new(l.actor());
        t.receive(l.iter().map(|e| Event { data: "0".into(), ..e.to_event() }).collect()).unwrap();
        t
    };
    let (mut tx, mut ty) = (thin(&a), thin(&b));
    let (_, thin_wire) = sync_pair(&mut tx, &mut ty);
    println!(
        "sync of the same events with 1-byte payloads: metadata-only {:.2} B/event",
        (thin_wire as f64 - moved) / moved
    );

    let mut g = c.benchmark_group("sync_2x50k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("full_sync", |bch| {
        bch.iter_batched(|| (a.clone(), b.clone()), |(mut a, mut b)| sync_pair(&mut a, &mut b), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, bench_codec, bench_sync);
criterion_main!(benches);
