//! The compact payload: golden vectors, exact round trips, and malformed input.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};

use super::*;
use crate::core::EventId;

fn actor(n: u128) -> ActorId {
    ActorId::from(crate::core::ActorId::from_u128(n).as_bytes().as_slice())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Records `c` in `index` as the change of event `(its actor, seq)`.
fn record(index: &mut Index, c: &Change) {
    let id = EventId::new(crate::core::ActorId::from_u128(0), c.seq());
    index.record(id, c.hash(), c.actor_id(), c.seq(), c.max_op());
}

fn last(doc: &mut AutoCommit) -> Change {
    doc.commit();
    doc.get_last_local_change().unwrap()
}

/// Two actors: a change with no dependency, one on its own predecessor, and one on
/// another actor's change that also names that actor in its ops.
fn three_changes() -> (Vec<Change>, Index) {
    let (a, b) = (actor(1), actor(2));
    let mut da = AutoCommit::new().with_actor(a);
    let t = da.put_object(ROOT, "text", ObjType::Text).unwrap();
    da.splice_text(&t, 0, 0, "hi").unwrap();
    let c1 = last(&mut da);
    da.put(ROOT, "n", 1).unwrap();
    let c2 = last(&mut da);
    let mut db = AutoCommit::new().with_actor(b);
    db.apply_changes([c1.clone(), c2.clone()]).unwrap();
    db.splice_text(&t, 1, 1, "o").unwrap();
    let c3 = last(&mut db);
    let mut index = Index::default();
    for c in [&c1, &c2, &c3] {
        record(&mut index, c);
    }
    (vec![c1, c2, c3], index)
}

fn compact_of(c: &Change, index: &Index) -> Vec<u8> {
    compact(c.raw_bytes(), c.actor_id(), index).expect("representable")
}

#[test]
fn golden_vectors() {
    let (changes, index) = three_changes();
    // Fixed bytes: a change to the format (or to what automerge writes) fails here.
    let golden = [
        (
            "c10001000a0104020411041305150834024204560457027002000102000001020100027f0000017e00027f047465787400\
             0201027f0402017f00021668690300",
            "99ecd39fd4a4b03e93ec5ed26753132d2fed00c137e8e844fd42ba6a546bc728",
        ),
        (
            "c10002010001061503340142025602570170027f016e017f017f14017f00",
            "bcc99e6b1504bfb0b32fb61e57f3641af46f1fc2270c0ae788b86d2e6bbf2f5a",
        ),
        (
            "c104010110000000000000000000000000000000010101\
             7f0b010202021102130334034203560357017003710273020201020102017e02010001017e01037e16006f7e00017f017f03",
            "f0081012f50c0dad3ea95d9888dc2f525bf7e2c16f676b16f4d0336f75da3cf1",
        ),
    ];
    for (c, (payload, hash)) in changes.iter().zip(golden) {
        let p = compact_of(c, &index);
        assert_eq!(hex(&p), payload);
        let rebuilt = rebuild(&unhex(payload), c.actor_id(), &index, &|_| true).unwrap();
        assert_eq!(rebuilt, c.raw_bytes());
        assert_eq!(Change::from_bytes(rebuilt).unwrap().hash().to_string(), hash);
    }
}

#[test]
fn compact_payloads_rebuild_the_exact_change_and_are_smaller() {
    let (changes, index) = three_changes();
    for c in &changes {
        let data = write(c, c.actor_id(), &index);
        assert!(data.starts_with('"'), "compact: {data}");
        assert!(data.len() + 40 < legacy(c).len(), "{} vs {}", data.len(), legacy(c).len());
        let back = read(&data, c.actor_id(), &index, &|_| true).unwrap();
        assert_eq!(back.raw_bytes(), c.raw_bytes());
        assert_eq!(back.hash(), c.hash());
        // The legacy shape of the same change reads as the same change.
        assert_eq!(read(&legacy(c), c.actor_id(), &index, &|_| true).unwrap().hash(), c.hash());
    }
}

#[test]
fn a_change_whose_dependency_has_no_record_is_written_in_the_legacy_shape() {
    let (changes, _) = three_changes();
    let mut index = Index::default();
    record(&mut index, &changes[0]);
    // changes[2] depends on changes[1], which the index does not hold.
    let data = write(&changes[2], changes[2].actor_id(), &index);
    assert!(data.starts_with("{\"change\":"), "{data}");
    // Nor is a change written as another actor's.
    assert!(write(&changes[0], &actor(9), &index).starts_with('{'));
}

#[test]
fn every_cut_and_every_byte_flip_is_an_error_or_a_valid_change_never_a_panic() {
    let (changes, index) = three_changes();
    for c in &changes {
        let good = compact_of(c, &index);
        let mut inputs: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut m = good.clone();
                m[i] ^= 1 << bit;
                inputs.push(m);
            }
        }
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let len = (rng % 48) as usize;
            let mut m: Vec<u8> = (0..len).map(|i| (rng >> (i % 8 * 8)) as u8 ^ i as u8).collect();
            if let Some(first) = m.first_mut() {
                *first = COMPACT_V1;
            }
            inputs.push(m);
        }
        for m in inputs {
            let data = format!("\"{}\"", base64::engine::general_purpose::STANDARD_NO_PAD.encode(&m));
            // Either a typed error or some well-formed change; never a panic.
            let _ = read(&data, c.actor_id(), &index, &|_| true);
        }
        assert_eq!(read("\"\"", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::Truncated);
        assert_eq!(read("\"wQ\"", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::Truncated);
        assert_eq!(read("\"wg\"", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::Version(0xc2));
        assert_eq!(read("\"wYA\"", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::Flags(0x80));
        assert_eq!(read("\"**\"", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::Base64);
        assert_eq!(read("{\"x\": 1}", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::NoChange);
        assert_eq!(read("[", c.actor_id(), &index, &|_| true).unwrap_err(), PayloadError::Json);
    }
}

#[test]
fn a_dependency_the_document_does_not_hold_is_a_typed_error() {
    let (changes, index) = three_changes();
    let p = compact_of(&changes[2], &index);
    let mut partial = Index::default();
    record(&mut partial, &changes[0]);
    let data = format!("\"{}\"", base64::engine::general_purpose::STANDARD_NO_PAD.encode(&p));
    assert!(matches!(
        read(&data, changes[2].actor_id(), &partial, &|_| true),
        Err(PayloadError::UnknownDependency { seq: 2, .. })
    ));
}
