//! Property tests of the sync protocol: messages cut at every offset or corrupted at
//! random never panic and never add an event that was not sent; and random replicas that
//! write, sync over a flaky transport and reconnect always converge.

mod seeded;

use everlog::codec::{self, EncodeOptions};
use everlog::sync::{self, SyncState};
use everlog::{Event, Log};
use seeded::*;

fn small_chunks() -> SyncState {
    let mut s = SyncState::new();
    s.encode = EncodeOptions { chunk_bytes: 350, ..EncodeOptions::default() };
    s
}

/// Two diverged logs, and the events message B sends A after A's first message.
fn events_message(seed: u64) -> (Log, Log, Vec<u8>) {
    let mut rng = Rng::new(seed);
    let (mut a, mut b) = (Log::new(actor(1)), Log::new(actor(2)));
    let mut now = 1_700_000_000_000;
    append_realistic(&mut rng, &mut a, 30, &mut now);
    append_realistic(&mut rng, &mut b, 50, &mut now);
    let (mut sa, mut sb) = (SyncState::new(), small_chunks());
    let first = sync::generate_message(&a, &mut sa).unwrap();
    sync::receive_message(&mut b, &mut sb, &first).unwrap();
    let msg = sync::generate_message(&b, &mut sb).unwrap();
    (a, b, msg)
}

#[test]
fn a_message_cut_at_every_offset_keeps_complete_chunks() {
    let (a, b, msg) = events_message(1);
    let sent: Vec<Event> = b.iter().map(|e| e.to_event()).collect();
    let mut best = 0;
    for cut in 0..msg.len() {
        let mut state = SyncState::new();
        match sync::decode_message(&a, &mut state, &msg[..cut]) {
            Ok(inc) => {
                assert!(inc.error.is_some(), "cut at {cut} went unnoticed");
                assert_eq!(inc.events[..], sent[..inc.events.len()], "cut at {cut}");
                assert!(inc.events.len() >= best, "cut at {cut}");
                best = inc.events.len();
                if cut % 25 == 0 || inc.events.len() > best {
                    let mut log = a.clone();
                    log.receive(inc.events).unwrap();
                    assert_log_valid(&log, &format!("cut at {cut}"));
                }
            }
            Err(_) => assert_eq!(best, 0, "cut at {cut}: the header was readable at a shorter cut"),
        }
        assert_eq!(state.stats().resets_requested, 1, "cut at {cut} must ask for the rest");
    }
    assert!(best >= 40, "{best} of 50 events kept");
}

#[test]
fn corrupted_messages_never_panic_nor_change_the_log_wrongly() {
    let (a, b, msg) = events_message(2);
    let sent: Vec<Event> = b.iter().map(|e| e.to_event()).collect();
    let mut rng = Rng::new(2);
    for trial in 0..3000 {
        let mut bad = msg.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bad.len() as u64) as usize;
            match rng.below(3) {
                0 => bad[at] ^= 1 << rng.below(8),
                1 => bad[at] = rng.next() as u8,
                _ => {
                    bad.remove(at);
                }
            }
        }
        let mut log = a.clone();
        let mut state = SyncState::new();
        match sync::receive_message(&mut log, &mut state, &bad) {
            Ok(r) => {
                assert!(r.error.is_some() || bad == msg, "trial {trial}: damage went unnoticed");
                assert_eq!(r.received.applied[..], sent[..r.received.applied.len()], "trial {trial}");
            }
            Err(_) => assert_eq!(log.version(), a.version(), "trial {trial}: an error changed the log"),
        }
        assert_log_valid(&log, &format!("trial {trial}"));
    }
}

#[test]
fn random_bytes_as_messages_never_panic() {
    let (a, _, _) = events_message(3);
    let mut rng = Rng::new(3);
    for _ in 0..5000 {
        let mut bytes: Vec<u8> = (0..rng.below(120)).map(|_| rng.next() as u8).collect();
        if rng.chance(50) && bytes.len() >= 6 {
            bytes[..6].copy_from_slice(b"EVLS\x01\x00");
        }
        let mut log = a.clone();
        let _ = sync::receive_message(&mut log, &mut SyncState::new(), &bytes);
        assert_eq!(log.version(), a.version());
    }
}

/// One connection between replicas `i` and `j` over a flaky transport: messages may be
/// cut, corrupted or duplicated; a dropped message ends the connection (as a closed
/// socket does), and the next connection starts from fresh states.
fn connect(logs: &mut [Log], i: usize, j: usize, rng: &mut Rng, flaky: bool) {
    let (mut si, mut sj) = (small_chunks(), small_chunks());
    si.max_events = 1 + rng.below(30) as usize;
    sj.max_events = 1 + rng.below(30) as usize;
    for _round in 0..10_000 {
        let mut quiet = true;
        for (from, to) in [(i, j), (j, i)] {
            loop {
                let state = if from == i { &mut si } else { &mut sj };
                let Some(msg) = sync::generate_message(&logs[from], state) else { break };
                quiet = false;
                let mut deliveries = vec![msg.clone()];
                if flaky {
                    match rng.below(40) {
                        0 => return, // connection lost
                        1 => deliveries[0].truncate(rng.below(msg.len() as u64) as usize),
                        2 => {
                            let at = rng.below(msg.len() as u64) as usize;
                            deliveries[0][at] ^= 1 << rng.below(8);
                        }
                        3 => deliveries.push(msg),
                        _ => {}
                    }
                }
                let state = if to == i { &mut si } else { &mut sj };
                for d in deliveries {
                    let _ = sync::receive_message(&mut logs[to], state, &d);
                }
            }
        }
        if quiet {
            return;
        }
    }
    panic!("connection {i}-{j} did not settle");
}

#[test]
fn random_replicas_over_a_flaky_transport_converge() {
    for seed in 0..60 {
        let mut rng = Rng::new(seed);
        let n = 2 + rng.below(3) as usize;
        let mut logs: Vec<Log> = (1..=n as u128).map(|k| Log::new(actor(k))).collect();
        let mut now = 1_700_000_000_000;
        for _step in 0..25 {
            let i = rng.below(n as u64) as usize;
            if rng.chance(50) {
                let k = 1 + rng.below(12) as usize;
                append_realistic(&mut rng, &mut logs[i], k, &mut now);
            } else {
                let j = (i + 1 + rng.below(n as u64 - 1) as usize) % n;
                connect(&mut logs, i, j, &mut rng, true);
            }
            for (k, log) in logs.iter().enumerate() {
                assert_log_valid(log, &format!("seed {seed} replica {k}"));
            }
        }
        // A reliable round: a chain there and back reaches everyone.
        for k in 0..n - 1 {
            connect(&mut logs, k, k + 1, &mut rng, false);
        }
        for k in (0..n - 1).rev() {
            connect(&mut logs, k, k + 1, &mut rng, false);
        }
        let bytes = codec::encode_log(&logs[0]);
        for (k, log) in logs.iter().enumerate() {
            assert_eq!(log.version(), logs[0].version(), "seed {seed} replica {k}");
            assert!(log.pending().waiting.is_empty(), "seed {seed} replica {k}");
            assert_eq!(codec::encode_log(log), bytes, "seed {seed} replica {k}");
        }
    }
}
