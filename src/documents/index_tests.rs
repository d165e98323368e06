//! The packed change index against a plain model of it (a list searched front to back:
//! the first record of a hash or an `(actor, seq)` wins).

use automerge::{ActorId, ChangeHash};

use super::Index;
use crate::core::EventId;

fn hash(i: u64) -> ChangeHash {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_le_bytes());
    h[31] = (i % 251) as u8;
    ChangeHash(h)
}

fn event(actor: u8, seq: u64) -> EventId {
    EventId::new(crate::core::ActorId([actor; 16]), seq)
}

type Model = Vec<(EventId, ChangeHash, ActorId, u64, u64)>;

fn both(entries: &[(EventId, ChangeHash, ActorId, u64, u64)]) -> (Index, Model) {
    let mut index = Index::default();
    for (e, h, a, s, m) in entries {
        index.record(*e, *h, a, *s, *m);
    }
    (index, entries.to_vec())
}

fn check(index: &Index, model: &Model) {
    let all: Vec<_> = index.iter().collect();
    assert_eq!(all.len(), model.len());
    for (got, (e, h, a, s, m)) in all.iter().zip(model) {
        assert_eq!((got.event, got.hash, index.actor(got), got.seq, got.max_op), (*e, *h, a, *s, *m));
    }
    for (_, h, a, s, _) in model {
        let first = model.iter().find(|r| r.1 == *h).unwrap();
        let got = index.by_hash(h).unwrap();
        assert_eq!((got.event, got.seq, got.max_op, index.actor(&got)), (first.0, first.3, first.4, &first.2));
        let first = model.iter().find(|r| r.2 == *a && r.3 == *s).unwrap();
        let got = index.by_seq(a, *s).unwrap();
        assert_eq!((got.event, got.hash, got.max_op), (first.0, first.1, first.4));
    }
}

#[test]
fn finds_every_change_by_hash_and_by_seq_across_chunks_and_table_growth() {
    let actors = [ActorId::from(&[1u8; 16][..]), ActorId::from(&[2u8; 16][..]), ActorId::from(&[3u8; 5][..])];
    let mut entries = Vec::new();
    let mut seqs = [0u64; 3];
    for i in 0..10_000u64 {
        let a = (i * 7 % 3) as usize;
        seqs[a] += 1;
        // The third actor's changes come through another actor's events.
        let ev = event(if a == 2 { 1 } else { a as u8 + 1 }, i + 1);
        entries.push((ev, hash(i), actors[a].clone(), seqs[a], i * 3));
    }
    let (index, model) = both(&entries);
    check(&index, &model);
    assert!(index.by_hash(&hash(10_000)).is_none());
    assert!(index.by_seq(&actors[0], seqs[0] + 1).is_none());
    assert!(index.by_seq(&actors[0], 0).is_none());
    assert!(index.by_seq(&ActorId::from(&[9u8; 16][..]), 1).is_none());
}

#[test]
fn the_first_claim_of_a_hash_or_seq_keeps_it_and_out_of_order_seqs_are_found() {
    let a = ActorId::from(&[1u8; 16][..]);
    let b = ActorId::from(&[2u8; 16][..]);
    let entries = vec![
        (event(1, 1), hash(1), a.clone(), 5, 10),
        (event(1, 2), hash(2), a.clone(), 2, 11),
        (event(1, 3), hash(3), a.clone(), 9, 12),
        // Same seq as the first: a later duplicate, not found by seq.
        (event(1, 4), hash(4), a.clone(), 5, 13),
        // Same hash as the second: not found by hash.
        (event(2, 1), hash(2), b.clone(), 1, 14),
        (event(1, 5), hash(5), a.clone(), 3, 15),
    ];
    let (index, model) = both(&entries);
    check(&index, &model);
    assert_eq!(index.by_seq(&a, 5).unwrap().event, event(1, 1));
    assert_eq!(index.by_hash(&hash(2)).unwrap().event, event(1, 2));
    assert_eq!(index.by_seq(&b, 1).unwrap().hash, hash(2));
    assert!(index.by_seq(&a, 4).is_none());
}

#[test]
fn an_empty_index_finds_nothing() {
    let index = Index::default();
    assert_eq!(index.iter().count(), 0);
    assert!(index.by_hash(&hash(0)).is_none());
    assert!(index.by_seq(&ActorId::from(&[1u8; 16][..]), 1).is_none());
}

#[test]
fn truncating_forgets_the_last_records_as_if_never_recorded() {
    let actors = [ActorId::from(&[1u8; 16][..]), ActorId::from(&[2u8; 16][..])];
    let mut entries = Vec::new();
    let mut seqs = [0u64; 2];
    for i in 0..3_000u64 {
        let a = (i % 2) as usize;
        seqs[a] += 1;
        // Some duplicates of an earlier hash or seq (not found by them, before or after).
        let (h, s) = match i % 97 {
            13 => (hash(i / 2), seqs[a]),
            29 => (hash(i), seqs[a] - 1),
            _ => (hash(i), seqs[a]),
        };
        entries.push((event(a as u8 + 1, i + 1), h, actors[a].clone(), s, i * 2));
    }
    for keep in [2_999, 2_048, 1_025, 1_024, 700, 1, 0] {
        let (mut index, mut model) = both(&entries);
        let tail: Vec<EventId> = index.iter_from(keep).map(|r| r.event).collect();
        assert_eq!(tail, entries[keep..].iter().map(|r| r.0).collect::<Vec<_>>());
        index.truncate(keep);
        model.truncate(keep);
        assert_eq!(index.len(), keep);
        check(&index, &model);
        for (_, h, a, s, _) in &entries[keep..] {
            if !model.iter().any(|r| r.1 == *h) {
                assert!(index.by_hash(h).is_none());
            }
            if !model.iter().any(|r| r.2 == *a && r.3 == *s) {
                assert!(index.by_seq(a, *s).is_none());
            }
        }
        // Recording again after a truncation finds everything as before.
        for (e, h, a, s, m) in &entries[keep..] {
            index.record(*e, *h, a, *s, *m);
        }
        check(&index, &entries);
    }
}
