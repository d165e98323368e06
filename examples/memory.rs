//! Memory per event of the in-memory [`Log`], measured with a counting global allocator.
//!
//! DESIGN.md's budget: payload bytes + 32 bytes per event. Run with
//! `cargo run --release --example memory`. It prints, for three logs (local appends,
//! a merge of remote events from three actors, the real `friendsforever` trace), the
//! live heap the log holds, the payload (`data`) bytes, and the overhead per event.

#[path = "../tests/support/trace.rs"]
mod trace;
#[path = "../benches/support/workload.rs"]
mod workload;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use everlog::{ActorId, AppendOptions, Event, Log};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Reports the heap a log holds: what dropping it frees (requested sizes; the allocator's
/// own per-block overhead comes on top). Measured by dropping, so that payloads allocated
/// before the log took them over are counted too.
fn report_and_drop(name: &str, log: Log) {
    let with = live();
    let n = log.len();
    let payload: usize = log.iter().map(|e| e.data().len()).sum();
    drop(log);
    let bytes = with - live();
    let n = n as f64;
    println!(
        "{name:<34} {n:>8} events  {:>7.1} B/event held  {:>6.1} B/event payload  {:>6.1} B/event overhead (budget 32)",
        bytes as f64 / n,
        payload as f64 / n,
        (bytes as f64 - payload as f64) / n
    );
}

fn main() {
    println!("size_of::<Event>() = {} bytes", std::mem::size_of::<Event>());

    let batches: Vec<Vec<_>> = (0..100).map(|k| (k * 1_000..(k + 1) * 1_000).map(workload::draft).collect()).collect();
    let mut log = Log::new(ActorId::from_u128(1));
    for (i, b) in batches.into_iter().enumerate() {
        drop(log.append(b, &AppendOptions::default(), i as u64).unwrap());
    }
    report_and_drop("local appends, batches of 1,000", log);

    let events = workload::remote_events(100_000, 3);
    let mut log = Log::new(ActorId::from_u128(2));
    drop(log.receive(events).unwrap());
    report_and_drop("merge of 100k events, 3 actors", log);

    let t = trace::load();
    let events = t.events.clone();
    drop(t);
    let mut log = Log::new(ActorId::from_u128(3));
    drop(log.receive(events).unwrap());
    report_and_drop("friendsforever trace (26k txns)", log);
}
