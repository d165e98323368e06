//! Hot-path probe: times (and, under callgrind, isolates) each phase of the core's batched
//! append and cold-open paths and of a merge from sync-message bytes (the browser bench's
//! `merge` workload: `phase_wire_decode` then `phase_wire_receive` per message), and measures the log's memory per event with a counting
//! global allocator.
//!
//! ```text
//! cargo run --profile bench --example perf_probe            # timings + bytes/event
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*phase_*' \
//!     target/release/examples/perf_probe 20000              # instruction counts
//! ```
//! Each `phase_*` function is one measured phase, so callgrind's `--toggle-collect`
//! counts exactly its instructions, whatever the machine's load.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use everlog::codec::{decode_events, encode_events_with};
use everlog::store::{block_on, storage_encoding, MemoryStorage, Replica, Storage};
use everlog::sync::{decode_message, SyncState};
use everlog::{ActorId, AppendOptions, Draft, Event, Log};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static A: Counting = Counting;

#[path = "../benches/support/workload.rs"]
mod workload;

const BATCH: usize = 1_000;
const ACTOR: ActorId = ActorId::from_u128(0xbe7c);

/// The store bench's drafts: ~80 B JSON payloads over 100 streams, no key.
fn drafts(n: usize) -> Vec<Vec<Draft>> {
    workload::cart_batches(n, BATCH)
}

#[inline(never)]
fn phase_log_append(log: &mut Log, batches: Vec<Vec<Draft>>) -> Vec<Vec<Event>> {
    batches
        .into_iter()
        .enumerate()
        .map(|(i, d)| log.append(d, &AppendOptions::default(), 1_700_000_000_000 + i as u64).unwrap())
        .collect()
}

#[inline(never)]
fn phase_encode(batches: &[Vec<Event>]) -> Vec<Vec<u8>> {
    let opts = storage_encoding();
    batches.iter().map(|b| encode_events_with(b, &opts)).collect()
}

#[inline(never)]
fn phase_decode(encoded: &[Vec<u8>]) -> Vec<Event> {
    let mut out = Vec::new();
    for b in encoded {
        out.extend(decode_events(b).unwrap());
    }
    out
}

#[inline(never)]
fn phase_restore(events: Vec<Event>) -> Log {
    let mut log = Log::new(ACTOR);
    log.restore(events).unwrap();
    log
}

/// Merge of remote events (three actors, real dependencies) in batches of 1,000: the
/// `merge/100k_3_actors_batches_of_1000` bench's work.
#[inline(never)]
fn phase_merge(batches: Vec<Vec<Event>>) -> Log {
    let mut log = Log::new(ACTOR);
    for b in batches {
        black_box(log.receive(b).unwrap());
    }
    log
}

/// Decoding one sync message into owned events (what `receiveMessage` does before the
/// log's receive): header, actor table, version, chunk CRCs, string table, columns.
#[inline(never)]
fn phase_wire_decode(log: &Log, state: &mut SyncState, bytes: &[u8]) -> Vec<Event> {
    let incoming = decode_message(log, state, bytes).unwrap();
    assert!(incoming.error.is_none());
    incoming.events
}

/// The log's receive of one decoded message (as `phase_merge`, on the browser workload).
#[inline(never)]
fn phase_wire_receive(log: &mut Log, events: Vec<Event>) {
    if !events.is_empty() {
        black_box(log.receive(events).unwrap());
    }
}

/// The browser bench's `merge` workload from message bytes: per message, decode then
/// receive (`receiveMessage` without the JS around it). Returns (decode, receive) in ms
/// of CPU time when the platform reports it, else wall time.
fn merge_from_wire(mut log: Log, messages: &[Vec<u8>]) -> (f64, f64, Log) {
    let now = || cpu_ms().unwrap_or_else(|| START.elapsed().as_secs_f64() * 1e3);
    let mut state = SyncState::new();
    let (mut decode, mut receive) = (0.0, 0.0);
    for m in messages {
        let t = now();
        let events = phase_wire_decode(&log, &mut state, black_box(m));
        let t1 = now();
        phase_wire_receive(&mut log, events);
        decode += t1 - t;
        receive += now() - t1;
    }
    (decode, receive, log)
}

static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

#[inline(never)]
fn phase_open(storage: MemoryStorage) -> Replica<MemoryStorage> {
    block_on(Replica::open(storage, Some(ACTOR))).unwrap()
}

/// CPU time this thread has run, in ms (Linux: `/proc/thread-self/schedstat`), so a
/// figure is comparable on a loaded machine; `None` elsewhere.
fn cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e6)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(100_000, |s| s.parse().expect("event count"));
    let before = LIVE.load(Ordering::Relaxed);
    let input = drafts(n);
    let payload: usize = input.iter().flatten().map(|d| d.data.len()).sum();

    let mut log = Log::new(ACTOR);
    let t = Instant::now();
    let appended = black_box(phase_log_append(&mut log, input));
    let t_append = ms(t);
    let t = Instant::now();
    let encoded = black_box(phase_encode(&appended));
    let t_encode = ms(t);
    drop(appended);
    let log_bytes =
        LIVE.load(Ordering::Relaxed) - before - encoded.iter().map(|b| b.capacity() as isize).sum::<isize>();
    let stored: usize = encoded.iter().map(Vec::len).sum();

    let held = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let decoded = black_box(phase_decode(&encoded));
    let t_decode = ms(t);
    let t = Instant::now();
    let restored = black_box(phase_restore(decoded));
    let t_restore = ms(t);
    let restored_bytes = LIVE.load(Ordering::Relaxed) - held;
    assert_eq!(restored.len(), n);
    drop(restored);

    let mut storage = MemoryStorage::new();
    for b in &encoded {
        block_on(storage.append(b)).unwrap();
    }
    let t = Instant::now();
    let replica = black_box(phase_open(storage));
    let t_open = ms(t);
    assert_eq!(replica.log().len(), n);

    drop(replica);
    let remote: Vec<Vec<Event>> = workload::remote_events(n, 3).chunks(BATCH).map(<[Event]>::to_vec).collect();
    let (t, cpu) = (Instant::now(), cpu_ms());
    let merged = black_box(phase_merge(remote));
    let t_merge = ms(t);
    let cpu_merge = cpu.zip(cpu_ms()).map(|(a, b)| b - a);
    assert_eq!(merged.len(), n);
    drop(merged);

    let local = 1_000;
    let (receiver, messages) = workload::browser_merge_messages(n, local);
    let wire: usize = messages.iter().map(Vec::len).sum();
    let (t_wdecode, t_wreceive, merged) = merge_from_wire(receiver, &messages);
    assert_eq!(merged.len(), n + local);
    drop(merged);

    let per = |t: f64| n as f64 / t * 1e3;
    println!(
        "events: {n}, payload {:.1} B/event, stored {:.1} B/event",
        payload as f64 / n as f64,
        stored as f64 / n as f64
    );
    println!("log append (prepare+commit+results): {t_append:8.1} ms  {:>12.0} events/s", per(t_append));
    println!("codec encode (storage level 1):      {t_encode:8.1} ms  {:>12.0} events/s", per(t_encode));
    println!("codec decode:                        {t_decode:8.1} ms  {:>12.0} events/s", per(t_decode));
    println!("log restore:                         {t_restore:8.1} ms  {:>12.0} events/s", per(t_restore));
    println!("cold open (memory storage):          {t_open:8.1} ms  {:>12.0} events/s", per(t_open));
    println!("merge (3 actors, batches of 1,000):  {t_merge:8.1} ms  {:>12.0} events/s", per(t_merge));
    if let Some(c) = cpu_merge {
        println!("merge, CPU time of the thread:       {c:8.1} ms  {:>12.0} events/s", per(c));
    }
    println!(
        "merge from wire bytes (browser bench's workload: {} messages, {:.1} B/event, {local} local events):",
        messages.len(),
        wire as f64 / n as f64
    );
    println!("  decode_message:                    {t_wdecode:8.1} ms  {:>12.0} events/s", per(t_wdecode));
    println!("  Log::receive:                      {t_wreceive:8.1} ms  {:>12.0} events/s", per(t_wreceive));
    let t_wire = t_wdecode + t_wreceive;
    println!("  both (receiveMessage's core work): {t_wire:8.1} ms  {:>12.0} events/s", per(t_wire));
    println!(
        "log memory: {:.1} B/event in all, {:.1} B/event beyond the payload",
        log_bytes as f64 / n as f64,
        (log_bytes - payload as isize) as f64 / n as f64
    );
    println!(
        "restored log (cold open): {:.1} B/event in all, {:.1} B/event beyond the payload",
        restored_bytes as f64 / n as f64,
        (restored_bytes - payload as isize) as f64 / n as f64
    );
    drop(log);
}
