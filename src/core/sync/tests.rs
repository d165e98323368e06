//! State-machine tests: message counts in the normal case, streaming, and recovery from
//! cut, lost, duplicated and corrupted messages.

use super::*;
use crate::core::codec::EncodeOptions;
use crate::core::event::Draft;
use crate::core::id::ActorId;
use crate::core::log::AppendOptions;

fn log(n: u128) -> Log {
    Log::new(ActorId::from_u128(n))
}

fn write(log: &mut Log, n: usize, t: u64) {
    let drafts = (0..n)
        .map(|i| {
            Draft::new(
                &format!("cart:{}", i % 3),
                "ItemAdded",
                serde_json::json!({"sku": format!("sku-{i}"), "qty": i}),
            )
            .key(&format!("sku-{}", i % 5))
        })
        .collect();
    log.append(drafts, &AppendOptions::default(), t).unwrap();
}

/// What the transport does to one message.
enum Fate {
    Deliver,
    Drop,
    Twice,
    Replace(Vec<u8>),
}

/// Runs the protocol between two logs until both are quiet; `tamper(i, bytes)` decides the
/// fate of the i-th message. Returns the number of messages generated.
fn run(
    a: &mut Log,
    b: &mut Log,
    sa: &mut SyncState,
    sb: &mut SyncState,
    tamper: &mut dyn FnMut(usize, &[u8]) -> Fate,
) -> usize {
    let mut count = 0;
    for _round in 0..1000 {
        let mut quiet = true;
        for side in 0..2 {
            let (from, to, s_from, s_to) =
                if side == 0 { (&*a, &mut *b, &mut *sa, &mut *sb) } else { (&*b, &mut *a, &mut *sb, &mut *sa) };
            while let Some(m) = generate_message(from, s_from) {
                quiet = false;
                let fate = tamper(count, &m);
                count += 1;
                let deliveries = match fate {
                    Fate::Deliver => vec![m],
                    Fate::Drop => vec![],
                    Fate::Twice => vec![m.clone(), m],
                    Fate::Replace(x) => vec![x],
                };
                for d in deliveries {
                    // Errors are expected for damaged messages; the state recovers.
                    let _ = receive_message(to, s_to, &d);
                }
            }
        }
        if quiet {
            return count;
        }
    }
    panic!("sync did not settle");
}

fn deliver(_: usize, _: &[u8]) -> Fate {
    Fate::Deliver
}

fn diverged(n: usize) -> (Log, Log) {
    let (mut a, mut b) = (log(1), log(2));
    write(&mut a, n, 10);
    write(&mut b, n, 20);
    (a, b)
}

#[test]
fn normal_case_is_one_round_trip_each_way() {
    let (mut a, mut b) = diverged(5);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let mut sizes = Vec::new();
    let n = run(&mut a, &mut b, &mut sa, &mut sb, &mut |_, m| {
        sizes.push(message::decode(m).unwrap().events.events.len());
        Fate::Deliver
    });
    assert_eq!(n, 3);
    assert_eq!(sizes, [0, 5, 5]);
    assert_eq!(a.version(), b.version());
    assert_eq!(a.len(), 10);
    assert!(generate_message(&a, &mut sa).is_none() && generate_message(&b, &mut sb).is_none());
}

#[test]
fn peers_in_sync_exchange_versions_only() {
    let (mut a, mut b) = diverged(3);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    run(&mut a, &mut b, &mut sa, &mut sb, &mut deliver);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    assert_eq!(run(&mut a, &mut b, &mut sa, &mut sb, &mut deliver), 2);
    assert_eq!(sa.stats().events_sent + sb.stats().events_sent, 0);
}

#[test]
fn both_sides_starting_at_once_also_settle() {
    let (mut a, mut b) = diverged(4);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let m1 = generate_message(&a, &mut sa).unwrap();
    let m2 = generate_message(&b, &mut sb).unwrap();
    receive_message(&mut b, &mut sb, &m1).unwrap();
    receive_message(&mut a, &mut sa, &m2).unwrap();
    let n = run(&mut a, &mut b, &mut sa, &mut sb, &mut deliver);
    assert_eq!(n, 2, "each side sends its events once");
    assert_eq!(a.version(), b.version());
}

#[test]
fn a_local_append_after_sync_is_one_message() {
    let (mut a, mut b) = diverged(3);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    run(&mut a, &mut b, &mut sa, &mut sb, &mut deliver);
    write(&mut a, 2, 30);
    assert_eq!(run(&mut a, &mut b, &mut sa, &mut sb, &mut deliver), 1);
    assert_eq!(a.version(), b.version());
}

#[test]
fn long_syncs_stream_and_report_progress() {
    let (mut a, mut b) = diverged(250);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    sa.max_events = 40;
    sb.max_events = 40;
    receive_message(&mut b, &mut sb, &generate_message(&a, &mut sa).unwrap()).unwrap();
    assert_eq!(sb.events_to_send(&b), 250);
    let mut left = Vec::new();
    while let Some(m) = generate_message(&b, &mut sb) {
        receive_message(&mut a, &mut sa, &m).unwrap();
        left.push(sb.events_to_send(&b));
    }
    assert_eq!(left, [210, 170, 130, 90, 50, 10, 0]);
    run(&mut a, &mut b, &mut sa, &mut sb, &mut deliver);
    assert_eq!(a.version(), b.version());
    assert_eq!(sb.stats().events_sent, 250);
    assert_eq!(sa.stats().events_sent, 250);
    assert_eq!(sa.stats().events_received, 250);
}

#[test]
fn a_cut_message_keeps_complete_chunks_and_the_rest_is_sent_again() {
    let small_chunks = || {
        let mut s = SyncState::new();
        s.encode = EncodeOptions { chunk_bytes: 300, ..EncodeOptions::default() };
        s
    };
    let (a0, b0) = diverged(60);
    let (mut sa, mut sb) = (SyncState::new(), small_chunks());
    let mut b = b0.clone();
    receive_message(&mut b, &mut sb, &generate_message(&a0, &mut sa).unwrap()).unwrap();
    let full = generate_message(&b, &mut sb).unwrap();
    let all = decode_message(&a0, &mut SyncState::new(), &full).unwrap().events;
    assert_eq!(all.len(), 60);
    let mut best = 0;
    for cut in 0..full.len() {
        match decode_message(&a0, &mut SyncState::new(), &full[..cut]) {
            Ok(inc) => {
                assert!(inc.error.is_some(), "cut at {cut} went unnoticed");
                assert_eq!(inc.events[..], all[..inc.events.len()]);
                assert!(inc.events.len() >= best);
                best = inc.events.len();
            }
            Err(_) => assert_eq!(best, 0, "a longer cut lost the header"),
        }
    }
    assert!(best >= 40, "small chunks keep most of a late cut ({best})");
    for cut in (0..full.len()).step_by(11) {
        let (mut a, mut b) = (a0.clone(), b0.clone());
        let (mut sa, mut sb) = (SyncState::new(), small_chunks());
        run(&mut a, &mut b, &mut sa, &mut sb, &mut |i, m| {
            if i == 1 {
                Fate::Replace(m[..cut.min(m.len())].to_vec())
            } else {
                Fate::Deliver
            }
        });
        assert_eq!(a.version(), b.version(), "cut at {cut}");
        assert_eq!(a.len(), 120);
        assert_eq!(sa.stats().decode_errors, 1);
        assert_eq!(sa.stats().resets_requested, 1);
        // Only what the cut lost is sent again.
        let kept = decode_message(&a0, &mut SyncState::new(), &full[..cut]).map_or(0, |m| m.events.len() as u64);
        assert_eq!(sb.stats().events_sent, 60 + 60 - kept, "cut at {cut}");
    }
}

#[test]
fn a_lost_message_is_noticed_as_a_gap_and_resent() {
    let (mut a, mut b) = diverged(50);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    sb.max_events = 10;
    let n = run(&mut a, &mut b, &mut sa, &mut sb, &mut |i, _| if i == 2 { Fate::Drop } else { Fate::Deliver });
    assert!(n > 5);
    assert_eq!(a.version(), b.version());
    assert_eq!(sa.stats().resets_requested, 1);
    assert!(a.pending().waiting.is_empty());
}

#[test]
fn duplicated_messages_are_harmless() {
    let (mut a, mut b) = diverged(20);
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    run(&mut a, &mut b, &mut sa, &mut sb, &mut |_, _| Fate::Twice);
    assert_eq!(a.version(), b.version());
    assert_eq!(a.len(), 40);
}

#[test]
fn corrupted_messages_never_panic_and_sync_still_converges() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for trial in 0..40 {
        let (mut a, mut b) = diverged(15);
        let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
        let victim = (trial % 4) as usize;
        run(&mut a, &mut b, &mut sa, &mut sb, &mut |i, m| {
            if i != victim || m.is_empty() {
                return Fate::Deliver;
            }
            let mut x = m.to_vec();
            for _ in 0..1 + rnd() % 3 {
                let at = (rnd() % x.len() as u64) as usize;
                x[at] ^= 1 << (rnd() % 8);
            }
            Fate::Replace(x)
        });
        assert_eq!(a.version(), b.version(), "trial {trial}");
        assert_eq!(a.len(), 30, "trial {trial}");
    }
}

#[test]
fn a_relay_in_the_middle_forwards_third_party_events() {
    let (mut a, mut c) = diverged(5);
    let mut r = log(9);
    let (mut s_ar, mut s_ra, mut s_cr, mut s_rc) =
        (SyncState::new(), SyncState::new(), SyncState::new(), SyncState::new());
    run(&mut a, &mut r, &mut s_ar, &mut s_ra, &mut deliver);
    run(&mut c, &mut r, &mut s_cr, &mut s_rc, &mut deliver);
    // The relay learned c's events after its last message to a: it must tell a.
    run(&mut a, &mut r, &mut s_ar, &mut s_ra, &mut deliver);
    assert_eq!(a.version(), c.version());
    assert_eq!(r.version(), a.version());
}
