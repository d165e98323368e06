//! Documents against plain automerge on the real editing traces: replay time (one run;
//! `cargo bench --features documents --bench documents` for criterion's figures), bytes
//! stored, bytes synced to a fresh replica, and heap memory (a counting global allocator),
//! with the ratio everlog / automerge for each.
//!
//! ```text
//! cargo run --release --features documents --example documents            # both traces
//! cargo run --release --features documents --example documents -- friends  # one
//! cargo run --release --features documents --example documents -- --replay everlog paper  # one replay only (to profile)
//! ```
//!
//! Prints one markdown table per trace (docs/documents.md quotes them).

#[path = "../benches/support/documents.rs"]
mod documents;
#[path = "../tests/support/trace.rs"]
mod trace;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use automerge::sync::SyncDoc;
use automerge::AutoCommit;
use everlog::documents::Document;
use everlog::{codec, sync, ActorId, Log};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(by: isize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size() as isize);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        grew(new as isize - l.size() as isize);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f`; returns its result, the time, the heap it still holds and its peak heap.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, isize, isize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = Instant::now();
    let out = f();
    let time = start.elapsed();
    (out, time, LIVE.load(Ordering::Relaxed) - before, PEAK.load(Ordering::Relaxed) - before)
}

/// Full sync of `log` to an empty replica with everlog's protocol: (bytes, messages).
fn everlog_sync(log: &mut Log) -> (usize, usize, Log) {
    let mut fresh = Log::new(ActorId::from_u128(0xf5e5));
    let (mut sa, mut sb) = (sync::SyncState::new(), sync::SyncState::new());
    let (mut bytes, mut msgs) = (0, 0);
    loop {
        let mut quiet = true;
        if let Some(m) = sync::generate_message(log, &mut sa) {
            (bytes, msgs, quiet) = (bytes + m.len(), msgs + 1, false);
            sync::receive_message(&mut fresh, &mut sb, &m).unwrap();
        }
        if let Some(m) = sync::generate_message(&fresh, &mut sb) {
            (bytes, msgs, quiet) = (bytes + m.len(), msgs + 1, false);
            sync::receive_message(log, &mut sa, &m).unwrap();
        }
        if quiet {
            return (bytes, msgs, fresh);
        }
    }
}

/// Full sync of `doc` to an empty document with automerge's protocol: (bytes, messages).
fn automerge_sync(doc: &mut AutoCommit) -> (usize, usize, AutoCommit) {
    let mut fresh = AutoCommit::new();
    let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
    let (mut bytes, mut msgs) = (0, 0);
    loop {
        let mut quiet = true;
        if let Some(m) = doc.sync().generate_sync_message(&mut sa) {
            let m = m.encode();
            (bytes, msgs, quiet) = (bytes + m.len(), msgs + 1, false);
            fresh.sync().receive_sync_message(&mut sb, automerge::sync::Message::decode(&m).unwrap()).unwrap();
        }
        if let Some(m) = fresh.sync().generate_sync_message(&mut sb) {
            let m = m.encode();
            (bytes, msgs, quiet) = (bytes + m.len(), msgs + 1, false);
            doc.sync().receive_sync_message(&mut sa, automerge::sync::Message::decode(&m).unwrap()).unwrap();
        }
        if quiet {
            return (bytes, msgs, fresh);
        }
    }
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}×", a / b)
}

fn kb(b: usize) -> String {
    format!("{:.1} KB", b as f64 / 1000.0)
}

fn mb(b: isize) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn run(name: &str) {
    let t = trace::load_file(name);
    let past = documents::causal_past(&t);
    let txns = t.txns.len();

    let (mut ev, ev_time, ev_held, ev_peak) = measure(|| documents::everlog(&t, &past));
    let (mut am, am_time, am_held, am_peak) = measure(|| documents::automerge(&t, &past));
    for doc in &ev.docs {
        assert!(doc.text(&documents::body()).unwrap() == t.end_content, "everlog replay: wrong text");
    }
    for doc in &am.docs {
        assert!(documents::automerge_text(doc) == t.end_content, "automerge replay: wrong text");
    }

    let log = &ev.logs[0];
    let events = log.len();
    let per_append: usize = log.iter().map(|e| codec::encode_events(&[e.to_event()]).len()).sum();
    let snapshot = codec::encode_log(log).len();
    let payload: usize = log.iter().map(|e| e.data().len()).sum();
    // The log's own share of the compacted bytes: the same events with `null` data.
    let bare: Vec<everlog::Event> =
        log.iter().map(|e| everlog::Event { data: "null".into(), ..e.to_event() }).collect();
    let bare = codec::encode_events(&bare).len();
    let saved = am.docs[0].save().len();
    let changes: usize = am.docs[0].get_changes(&[]).iter().map(|c| c.raw_bytes().len()).sum();

    // Opening the document: a fold of every event, or a snapshot plus the events after it
    // (here none); automerge loads its `save()`.
    let (full, fold_time, _, _) = measure(|| Document::open(log, documents::STREAM).unwrap());
    let snap = ev.docs[0].snapshot(log).unwrap();
    let (from_snap, snap_time, _, _) = measure(|| Document::open_snapshot(log, documents::STREAM, &snap).unwrap());
    assert!(from_snap.text(&documents::body()).unwrap() == t.end_content, "snapshot: wrong text");
    drop((full, from_snap));
    let saved_bytes = am.docs[0].save();
    let (_, load_time, _, _) = measure(|| AutoCommit::load(&saved_bytes).unwrap());
    // What a fold cannot avoid: automerge applying every change one by one (the changes
    // decoded beforehand, outside the timing).
    let every_change = am.docs[0].get_changes(&[]);
    let (applied, apply_time, _, _) = measure(|| {
        let mut d = AutoCommit::new();
        d.apply_changes(every_change).unwrap();
        d
    });
    drop(applied);
    let ((ev_sync, ev_msgs, fresh), ev_sync_time, _, _) = measure(|| everlog_sync(&mut ev.logs[0]));
    let cold = Document::open(&fresh, documents::STREAM).unwrap();
    assert!(cold.text(&documents::body()).unwrap() == t.end_content, "everlog sync: wrong text");
    let ((am_sync, am_msgs, mut fresh_am), am_sync_time, _, _) = measure(|| automerge_sync(&mut am.docs[0]));
    assert_eq!(fresh_am.get_heads(), am.docs[0].get_heads(), "automerge sync");

    let agents = t.agents();
    println!(
        "\n### {name}: {txns} transactions, {agents} agent(s), {} chars at the end\n",
        t.end_content.chars().count()
    );
    println!("| measure | everlog | automerge | everlog / automerge |");
    println!("|---|---:|---:|---:|");
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| replay, {agents} replica(s), one run | {} | {} | {} |",
        ms(ev_time),
        ms(am_time),
        ratio(ev_time.as_secs_f64(), am_time.as_secs_f64())
    );
    println!(
        "| stored: everlog one batch per append / automerge incremental changes | {} | {} | {} |",
        kb(per_append),
        kb(changes),
        ratio(per_append as f64, changes as f64)
    );
    println!(
        "| stored: everlog compacted log (`encode_log`) / automerge `save()` | {} | {} | {} |",
        kb(snapshot),
        kb(saved),
        ratio(snapshot as f64, saved as f64)
    );
    if agents > 1 {
        println!(
            "| synced during the replay ({} / {} deliveries) | {} | {} | {} |",
            ev.deliveries,
            am.deliveries,
            kb(ev.delivered_bytes),
            kb(am.delivered_bytes),
            ratio(ev.delivered_bytes as f64, am.delivered_bytes as f64)
        );
    }
    println!(
        "| full sync to an empty replica ({ev_msgs} / {am_msgs} messages) | {} | {} | {} |",
        kb(ev_sync),
        kb(am_sync),
        ratio(ev_sync as f64, am_sync as f64)
    );
    println!(
        "| full sync time | {} | {} | {} |",
        ms(ev_sync_time),
        ms(am_sync_time),
        ratio(ev_sync_time.as_secs_f64(), am_sync_time.as_secs_f64())
    );
    println!(
        "| document snapshot / `save()` | {} | {} | {} |",
        kb(snap.len()),
        kb(saved),
        ratio(snap.len() as f64, saved as f64)
    );
    println!(
        "| open: fold every event / `load(save())` | {} | {} | {} |",
        ms(fold_time),
        ms(load_time),
        ratio(fold_time.as_secs_f64(), load_time.as_secs_f64())
    );
    println!(
        "| open: fold every event / automerge `apply_changes` of every change | {} | {} | {} |",
        ms(fold_time),
        ms(apply_time),
        ratio(fold_time.as_secs_f64(), apply_time.as_secs_f64())
    );
    println!(
        "| open: from the snapshot / `load(save())` | {} | {} | {} |",
        ms(snap_time),
        ms(load_time),
        ratio(snap_time.as_secs_f64(), load_time.as_secs_f64())
    );
    println!(
        "| heap held after the replay | {} | {} | {} |",
        mb(ev_held),
        mb(am_held),
        ratio(ev_held as f64, am_held as f64)
    );
    println!(
        "| peak heap during the replay | {} | {} | {} |",
        mb(ev_peak),
        mb(am_peak),
        ratio(ev_peak as f64, am_peak as f64)
    );
    // Where the held heap sits: what dropping each part gives back (every replica).
    let changes_held: usize = am.docs.iter_mut().map(|d| d.get_changes_meta(&[]).len()).sum();
    let events_held: usize = ev.logs.iter().map(|l| l.len()).sum();
    let (_, _, docs_freed, _) = measure(|| drop(std::mem::take(&mut ev.docs)));
    let (_, _, logs_freed, _) = measure(|| drop(std::mem::take(&mut ev.logs)));
    let (_, _, am_freed, _) = measure(|| drop(std::mem::take(&mut am.docs)));
    let (docs_freed, logs_freed, am_freed) = (-docs_freed, -logs_freed, -am_freed);
    let per = |b: isize, n: usize| format!("{:.0} B", b as f64 / n as f64);
    println!(
        "\nheld heap by part (all replicas): everlog logs {} ({}/event over {events_held} events), everlog documents {} ({}/change over {changes_held} changes), plain automerge documents {} ({}/change); documents beyond automerge: {} ({}/change).",
        mb(logs_freed),
        per(logs_freed, events_held),
        mb(docs_freed),
        per(docs_freed, changes_held),
        mb(am_freed),
        per(am_freed, changes_held),
        mb(docs_freed - am_freed),
        per(docs_freed - am_freed, changes_held),
    );
    println!(
        "\neverlog: {events} events in replica 0, payload (JSON with the change) {:.1} B/event, stored {:.1} B/event per append, {:.1} B/event compacted (of which {:.1} B the events without their data); automerge: {:.1} B/change incremental, {:.2} B/change saved.",
        payload as f64 / events as f64,
        per_append as f64 / events as f64,
        snapshot as f64 / events as f64,
        bare as f64 / events as f64,
        changes as f64 / events as f64,
        saved as f64 / events as f64,
    );
}

/// `--replay everlog|automerge TRACE`: only that replay, for a profiler.
fn replay_only(which: &str, name: &str) {
    let file = ["friendsforever.json.gz", "automerge-paper.json.gz"].into_iter().find(|f| f.contains(name)).unwrap();
    let t = trace::load_file(file);
    let past = documents::causal_past(&t);
    let start = Instant::now();
    match which {
        "everlog" => drop(documents::everlog(&t, &past)),
        _ => drop(documents::automerge(&t, &past)),
    }
    println!("{which} replay of {file}: {:.0} ms", start.elapsed().as_secs_f64() * 1000.0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--replay") && args.len() == 3 {
        return replay_only(&args[1], &args[2]);
    }
    let only = args.first().cloned().unwrap_or_default();
    for name in ["friendsforever.json.gz", "automerge-paper.json.gz"] {
        if name.contains(only.as_str()) {
            run(name);
        }
    }
}
