//! Seeded run of the `doc_payload` fuzz target's property (tests/doc_payload/mod.rs) in
//! `cargo test`: every cut and every bit flip of real change payloads, byte replacements
//! and insertions, and random bytes behind the compact format's version byte, in every
//! shape and from every kind of author. Malformed payloads never panic; they are typed
//! errors that change nothing. The last two tests are the strict property's first finds
//! (docs/fuzzing.md, "Found by the strict mode"), now regression tests.

mod doc_payload;
mod seeded;

use doc_payload::{check, Base};
use seeded::Rng;

/// Byte 0 of an input: who appends (bits 0–1), the shape (bits 2–3).
const HEADS: [u8; 6] = [0b0000, 0b0001, 0b0010, 0b0100, 0b1000, 0b1001];

fn with_head(head: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![head];
    v.extend_from_slice(payload);
    v
}

#[test]
fn real_payloads_read_from_every_author_and_in_every_shape() {
    let base = Base::new();
    let payloads = base.payloads();
    assert!(payloads.len() >= 5, "the base has compact and legacy payloads: {}", payloads.len());
    for p in &payloads {
        for head in HEADS {
            check(&base, &with_head(head, p), false);
        }
    }
}

#[test]
fn every_cut_and_every_bit_flip_of_a_real_payload_is_a_typed_error_or_a_change() {
    let base = Base::new();
    for (k, p) in base.payloads().iter().enumerate() {
        // Compact payloads in the compact shape, the legacy change chunk in the legacy one.
        let head = if p.first() == Some(&0xc1) { HEADS[k % 3] } else { 0b1000 | (k as u8 % 3) };
        for n in 0..p.len() {
            check(&base, &with_head(head, &p[..n]), false);
        }
        for i in 0..p.len() {
            for bit in 0..8 {
                let mut m = p.clone();
                m[i] ^= 1 << bit;
                check(&base, &with_head(head, &m), false);
            }
        }
    }
}

#[test]
fn random_edits_and_random_bytes_never_panic() {
    let base = Base::new();
    let payloads = base.payloads();
    for seed in 0..800u64 {
        let mut rng = Rng::new(seed);
        let head = HEADS[rng.below(HEADS.len() as u64) as usize];
        let mut m = payloads[rng.below(payloads.len() as u64) as usize].clone();
        match rng.below(4) {
            // A few bytes replaced by arbitrary values.
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(m.len() as u64) as usize;
                    m[i] = rng.next() as u8;
                }
            }
            // Bytes inserted or removed.
            1 => {
                let i = rng.below(m.len() as u64 + 1) as usize;
                if rng.chance(50) || m.is_empty() {
                    m.insert(i, rng.next() as u8);
                } else {
                    m.remove(i.min(m.len() - 1));
                }
            }
            // Random bytes behind the compact version byte.
            2 => m = std::iter::once(0xc1).chain((0..rng.below(64)).map(|_| rng.next() as u8)).collect(),
            // Numbers made large: a uleb128 run of 0xff bytes somewhere.
            _ => {
                let i = rng.below(m.len() as u64) as usize;
                let n = 1 + rng.below(12) as usize;
                m.splice(i..i, std::iter::repeat_n(0xff, n));
            }
        }
        check(&base, &with_head(head, &m), false);
    }
}

/// A compact payload from a stranger that names a dependency sorting after its own event
/// (the stranger's first event sorts early) resolves in an incremental update and not in a
/// fresh fold, so two replicas disagreed about a hostile event. Fixed: a dependency
/// resolves only among the event's causal past.
#[test]
fn a_dependency_after_the_event_resolves_the_same_in_every_fold() {
    let base = Base::new();
    let p = &base.payloads()[2];
    check(&base, &with_head(0b0010, &p[..p.len() - 1]), true);
}

/// automerge 0.12 panicked (`Obj … Missing from Index`, `change_graph.rs` seq assertion) when
/// it applies a change that is well formed but names objects or a seq that do not fit the
/// document: a real change re-appended under another author is one. Now refused first
/// (src/documents/fit.rs).
#[test]
fn a_change_that_does_not_fit_the_document_is_refused_without_a_panic() {
    let base = Base::new();
    let payloads = base.payloads();
    check(&base, &with_head(0b0001, &payloads[1]), true);
    check(&base, &with_head(0b0010, &payloads[2]), true);
}

/// The strict property (applied, fresh fold agrees, no panic) on every real payload
/// re-sent by every kind of author, in every shape: the hostile re-sends of both finds above.
#[test]
fn every_real_payload_resent_by_anyone_is_applied_or_refused_the_same_in_every_fold() {
    let base = Base::new();
    for p in &base.payloads() {
        for head in HEADS {
            check(&base, &with_head(head, p), true);
        }
    }
}
