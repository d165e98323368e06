//! Workloads shared by the log benchmarks and the memory example: drafts with ~100-byte
//! payloads, and remote events written by a few actors that sync now and then (so
//! events carry real dependencies and the merge has concurrency to sort out).

#![allow(dead_code)]

use everlog::{ActorId, AppendOptions, Draft, Event, Log};

/// A JSON payload of about 100 bytes.
pub fn payload(i: usize) -> String {
    format!(
        r#"{{"sku":"sku-{:06}","qty":{},"price":{}.{:02},"note":"added from the product page, size M"}}"#,
        i % 1_000_000,
        i % 7 + 1,
        i % 100,
        i % 97
    )
}

pub fn draft(i: usize) -> Draft {
    Draft {
        stream: format!("cart:{}", i % 50),
        kind: "ItemAdded".into(),
        key: Some(format!("sku-{}", i % 200)),
        data: payload(i),
        ..Default::default()
    }
}

/// The store and append benches' drafts: `n` events with ~80 B JSON payloads over 100
/// streams, no key, in batches of `batch`.
pub fn cart_batches(n: usize, batch: usize) -> Vec<Vec<Draft>> {
    (0..n.div_ceil(batch))
        .map(|b| {
            (b * batch..((b + 1) * batch).min(n))
                .map(|n| {
                    let data = format!(
                        r#"{{"sku":"sku-{:05}","qty":{},"price":{}.99,"note":"added from the product page"}}"#,
                        n % 5000,
                        n % 7 + 1,
                        n % 90 + 10
                    );
                    Draft { stream: format!("cart:{}", n % 100), kind: "ItemAdded".into(), data, ..Default::default() }
                })
                .collect()
        })
        .collect()
}

/// `total` events written by `actors` actors in bursts, with a partial sync between two
/// of them after every round; returned in the total order of a replica holding them all
/// (the order a sync message carries them in).
pub fn remote_events(total: usize, actors: usize) -> Vec<Event> {
    let mut logs: Vec<Log> = (0..actors).map(|a| Log::new(ActorId::from_u128(0x1000 + a as u128))).collect();
    let mut written = 0;
    let mut round = 0usize;
    let mut now = 1_700_000_000_000u64;
    while written < total {
        for (a, log) in logs.iter_mut().enumerate() {
            let burst = (1 + (round * 7 + a * 13) % 40).min(total - written);
            if burst == 0 {
                break;
            }
            let drafts = (written..written + burst).map(draft).collect();
            log.append(drafts, &AppendOptions::default(), now).expect("append");
            written += burst;
            now += 3;
        }
        // One actor hears from another: their next events depend on what they saw.
        let (from, to) = (round % actors, (round + 1) % actors);
        let missing: Vec<Event> = logs[from].missing_from(logs[to].version()).map(|e| e.to_event()).collect();
        logs[to].receive(missing).expect("receive");
        round += 1;
    }
    let mut all = Log::new(ActorId::from_u128(0xa11));
    for l in &logs {
        let missing: Vec<Event> = l.missing_from(all.version()).map(|e| e.to_event()).collect();
        all.receive(missing).expect("receive");
    }
    assert_eq!(all.len(), total);
    all.iter().map(|e| e.to_event()).collect()
}

/// Events shaped like the browser bench's (www/bench/page/data.js `makeEvent`): stream
/// `cart:{i % 1000}`, type `ItemAdded` (`ItemRemoved` every 7th), key `sku-{(i·7919) % 500}`,
/// and a JSON payload of 100 bytes whose `note` varies per event; `origin` names the writer.
pub fn browser_draft(i: usize, origin: &str) -> Draft {
    const NOTE_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";
    let sku = format!("sku-{}", (i * 7919) % 500);
    let head =
        format!(r#"{{"sku":"{sku}","qty":{},"price":{},"by":"{origin}","note":""#, 1 + i % 5, 100 + (i * 37) % 9000);
    let room = 100usize.saturating_sub(head.len() + 2);
    let mut x = ((i as u64 + 1) * 2_654_435_761) as u32;
    let note: String = (0..room)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            NOTE_CHARS[x as usize % NOTE_CHARS.len()] as char
        })
        .collect();
    Draft {
        stream: format!("cart:{}", i % 1000),
        kind: if i.is_multiple_of(7) { "ItemRemoved" } else { "ItemAdded" }.into(),
        key: Some(sku),
        data: format!("{head}{note}\"}}"),
        ..Default::default()
    }
}

/// The browser bench's `merge` workload on the wire: a log of `n` events written by one
/// actor in appends of 1,000 syncs to a log holding `local` concurrent events of its own.
/// Returns the receiving log and the sync messages the sender generates for it (stored
/// chunks, as the core browser entry writes them: it links no compressor).
pub fn browser_merge_messages(n: usize, local: usize) -> (Log, Vec<Vec<u8>>) {
    use everlog::sync::{generate_message, receive_message, SyncState};
    let now = 1_700_000_000_000;
    let mut from = Log::new(ActorId::from_u128(0xa));
    for (b, start) in (0..n).step_by(1_000).enumerate() {
        let drafts = (start..(start + 1_000).min(n)).map(|i| browser_draft(i, "a")).collect();
        from.append(drafts, &AppendOptions::default(), now + b as u64).expect("append");
    }
    let mut to = Log::new(ActorId::from_u128(0xb));
    for (b, start) in (0..local).step_by(1_000).enumerate() {
        let drafts = (start..(start + 1_000).min(local)).map(|i| browser_draft(i, "b")).collect();
        to.append(drafts, &AppendOptions::default(), now + b as u64).expect("append");
    }
    let (mut sf, mut st) = (SyncState::new(), SyncState::new());
    sf.encode.level = 0;
    let ask = generate_message(&to, &mut st).expect("the receiver announces its version");
    receive_message(&mut from, &mut sf, &ask).expect("the sender reads it");
    let mut messages = Vec::new();
    while let Some(m) = generate_message(&from, &mut sf) {
        messages.push(m);
    }
    (to, messages)
}
