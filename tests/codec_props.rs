//! Property tests of the batch format with a seeded generator: round trips of arbitrary
//! events, canonical log bytes, and cut or corrupted input that never panics and never
//! yields an event that was not sent.

mod seeded;

use everlog::codec::{self, EncodeOptions};
use everlog::{Event, Limits, Log};
use seeded::*;

fn options(rng: &mut Rng) -> EncodeOptions {
    EncodeOptions { level: rng.below(11) as u8, chunk_bytes: 1 + rng.below(4096) as usize }
}

#[test]
fn arbitrary_events_round_trip() {
    for seed in 0..300 {
        let mut rng = Rng::new(seed);
        let actors: Vec<_> = (0..1 + rng.below(5)).map(|_| actor(rng.next() as u128 * rng.below(3) as u128)).collect();
        let events: Vec<Event> = (0..rng.below(60)).map(|_| arbitrary_event(&mut rng, &actors)).collect();
        let opts = options(&mut rng);
        let bytes = codec::encode_events_with(&events, &opts);
        assert_eq!(codec::decode_events(&bytes).as_ref(), Ok(&events), "seed {seed}");
        assert_eq!(codec::decode_events_partial(&bytes).error, None, "seed {seed}");
    }
}

/// Replicas that write concurrently and exchange events in random order and batching.
fn replicas(seed: u64, n: usize) -> Vec<Log> {
    let mut rng = Rng::new(seed);
    let mut logs: Vec<Log> = (1..=n as u128).map(|i| Log::new(actor(i))).collect();
    let mut now = 1_700_000_000_000;
    for _ in 0..20 {
        let i = rng.below(n as u64) as usize;
        let k = 1 + rng.below(8) as usize;
        append_realistic(&mut rng, &mut logs[i], k, &mut now);
        if rng.chance(40) {
            let (from, to) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
            let evs: Vec<Event> = logs[from].iter().map(|e| e.to_event()).collect();
            logs[to].receive(evs).unwrap();
        }
    }
    logs
}

#[test]
fn replicas_holding_the_same_events_write_the_same_bytes() {
    for seed in 0..40 {
        let mut logs = replicas(seed, 3);
        let all: Vec<Event> = logs.iter().flat_map(|l| l.iter().map(|e| e.to_event())).collect();
        for (k, log) in logs.iter_mut().enumerate() {
            let mut mine = all.clone();
            if k % 2 == 1 {
                mine.reverse();
            }
            log.receive(mine).unwrap();
        }
        let bytes = codec::encode_log(&logs[0]);
        for log in &logs[1..] {
            assert_eq!(codec::encode_log(log), bytes, "seed {seed}");
        }
        let back = codec::decode_log(&bytes, actor(99), Limits::default()).unwrap();
        assert_log_valid(&back, &format!("seed {seed}"));
        assert_eq!(back.iter().collect::<Vec<_>>(), logs[0].iter().collect::<Vec<_>>(), "seed {seed}");
    }
}

#[test]
fn a_batch_cut_at_every_offset_keeps_its_complete_chunks() {
    let logs = replicas(7, 2);
    let events: Vec<Event> = logs[0].iter().take(60).map(|e| e.to_event()).collect();
    let bytes = codec::encode_events_with(&events, &EncodeOptions { chunk_bytes: 400, ..EncodeOptions::default() });
    let mut best = 0;
    for cut in 0..bytes.len() {
        let p = codec::decode_events_partial(&bytes[..cut]);
        assert!(p.error.is_some(), "cut at {cut} went unnoticed");
        assert_eq!(p.events[..], events[..p.events.len()], "cut at {cut}");
        assert!(p.events.len() >= best, "cut at {cut}");
        best = p.events.len();
        if cut % 40 == 0 {
            let mut log = logs[1].clone();
            log.receive(p.events).unwrap();
            assert_log_valid(&log, &format!("cut at {cut}"));
        }
    }
    assert!(best * 10 >= events.len() * 8, "{best} of {} events kept", events.len());
}

#[test]
fn corrupted_batches_never_panic_nor_yield_foreign_events() {
    let logs = replicas(11, 2);
    let events: Vec<Event> = logs[0].iter().map(|e| e.to_event()).collect();
    let mut rng = Rng::new(11);
    for (k, opts) in [EncodeOptions::default(), EncodeOptions { level: 0, chunk_bytes: 300 }].iter().enumerate() {
        let bytes = codec::encode_events_with(&events, opts);
        for trial in 0..2000 {
            let mut bad = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bad.len() as u64) as usize;
                match rng.below(4) {
                    0 => bad[at] ^= 1 << rng.below(8),
                    1 => bad[at] = rng.next() as u8,
                    2 => bad.insert(at, rng.next() as u8),
                    _ => {
                        bad.remove(at);
                    }
                }
            }
            let p = codec::decode_events_partial(&bad);
            assert!(p.error.is_some() || bad == bytes, "options {k} trial {trial}: damage went unnoticed");
            assert_eq!(p.events[..], events[..p.events.len()], "options {k} trial {trial}");
            let mut log = logs[1].clone();
            log.receive(p.events).unwrap();
            assert_log_valid(&log, &format!("options {k} trial {trial}"));
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(3);
    for _ in 0..5000 {
        let len = rng.below(200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.chance(50) && bytes.len() >= 5 {
            bytes[..5].copy_from_slice(b"EVLB\x01");
        }
        assert!(codec::decode_events(&bytes).is_err() || bytes.len() < 5);
    }
}
