//! Numeric built-ins: count, sum(field), groupSum(key, field).
//!
//! Fields are **top-level** fields of the event's JSON `data`, read with the scanner in
//! `scan` (no whole-payload parse). An event is **skipped** (it does not count towards a
//! sum, and does not create a group) when:
//! - `data` is not an object, or lacks the field;
//! - the summed field is not a JSON number (`"3"`, `true`, `null`, objects are skipped,
//!   never coerced), or is too large to be a finite `f64` (`1e400`);
//! - for groupSum, the key field is missing, `null`, an object or an array. String keys
//!   group by their contents; number and boolean keys by their JSON text (`7`, `true`).
//!
//! Sums are `f64` (the JavaScript number), added in the total order: every replica adds
//! the same numbers in the same order, so they get bit-identical results. Integer sums are
//! exact up to 2^53. States persist the bits of each `f64` ([`Exact`]) so that a snapshot
//! restores exactly what was computed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::columns::NO_GROUP;
use super::scan;
use super::{states, Causality, Fold, Run, StateCodec};
use crate::core::error::{DecodeError, Error};
use crate::core::event_ref::EventRef;

/// Counts the events the filter selects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count;

impl Fold for Count {
    type State = u64;
    fn init(&self) -> u64 {
        0
    }
    #[inline]
    fn apply(&self, state: &mut u64, _: EventRef<'_>, _: &dyn Causality) {
        *state += 1;
    }
    fn apply_run(&self, state: &mut u64, run: &mut Run<'_>) {
        let mut n = *state;
        run.for_each(|_, _| n += 1);
        *state = n;
    }
}

impl StateCodec for Count {
    fn fingerprint(&self) -> String {
        "count/1".into()
    }
    fn encode_state(&self, state: &u64) -> Result<Vec<u8>, Error> {
        Ok(states::encode_u64(*state))
    }
    fn decode_state(&self, bytes: &[u8]) -> Result<u64, DecodeError> {
        states::decode_u64(bytes)
    }
}

/// An `f64` that serializes as its bit pattern, so it round-trips exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Exact(pub f64);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0.to_bits())
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u64::deserialize(d).map(|b| Exact(f64::from_bits(b)))
    }
}

/// Sum of the top-level numeric field `field` over the selected events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sum {
    pub field: String,
}

impl Sum {
    pub fn new(field: &str) -> Self {
        Sum { field: field.into() }
    }
}

impl Fold for Sum {
    type State = Exact;
    fn init(&self) -> Exact {
        Exact(0.0)
    }
    #[inline]
    fn apply(&self, state: &mut Exact, e: EventRef<'_>, _: &dyn Causality) {
        if let Some(v) = scan::field(e.data(), &self.field).and_then(scan::number) {
            state.0 += v;
        }
    }
    /// Same additions in the same order as `apply`, values read from the column cache.
    /// Nothing (the caller then applies the run event by event) when the run is shorter than
    /// what the column lacks.
    fn apply_run(&self, state: &mut Exact, run: &mut Run<'_>) {
        if !run.columns_pay_off(&[&self.field], &[]) {
            return; // left to the caller, which folds what a run leaves event by event
        }
        let arena = run.arena();
        run.columns().with_numbers(arena, &self.field, |col| {
            let mut total = state.0;
            run.for_each(|i, _| {
                let v = col[i];
                if !v.is_nan() {
                    total += v;
                }
            });
            state.0 = total;
        });
    }
}

impl StateCodec for Sum {
    fn fingerprint(&self) -> String {
        let mut f = String::from("sum/1:[");
        scan::push_string(&mut f, &self.field);
        f + "]"
    }
    fn encode_state(&self, state: &Exact) -> Result<Vec<u8>, Error> {
        Ok(states::encode_u64(state.0.to_bits()))
    }
    fn decode_state(&self, bytes: &[u8]) -> Result<Exact, DecodeError> {
        states::decode_u64(bytes).map(|b| Exact(f64::from_bits(b)))
    }
}

/// FxHash: group names are short, not attacker-chosen in a way that matters for a local
/// fold, and hashing them is most of groupSum's cost with the default SipHash.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type FxBuild = BuildHasherDefault<FxHasher>;

/// Per-group sums: group name → sum.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupSumState(pub HashMap<Box<str>, Exact, FxBuild>);

impl GroupSumState {
    /// The groups sorted by name (the order of the JSON result).
    pub fn sorted(&self) -> Vec<(&str, f64)> {
        let mut v: Vec<(&str, f64)> = self.0.iter().map(|(k, s)| (&**k, s.0)).collect();
        crate::core::sort::sort_by(&mut v, |a, b| a.0.cmp(b.0));
        v
    }
}

/// Sum of `field` grouped by the value of the top-level field `key`
/// (`groupSum("sku", "qty")` → `{"sock": 3}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSum {
    pub key: String,
    pub field: String,
}

impl GroupSum {
    pub fn new(key: &str, field: &str) -> Self {
        GroupSum { key: key.into(), field: field.into() }
    }
}

impl Fold for GroupSum {
    type State = GroupSumState;
    fn init(&self) -> GroupSumState {
        GroupSumState::default()
    }
    #[inline]
    fn apply(&self, state: &mut GroupSumState, e: EventRef<'_>, _: &dyn Causality) {
        let Some(v) = scan::field(e.data(), &self.field).and_then(scan::number) else { return };
        let Some(name) = scan::field(e.data(), &self.key).and_then(scan::group_name) else { return };
        match state.0.get_mut(&*name) {
            Some(s) => s.0 += v,
            None => {
                state.0.insert(name.into_owned().into_boxed_str(), Exact(v));
            }
        }
    }
    /// Accumulates per group id in a dense vector, starting each group from its value in
    /// the state (or from its first value, as `apply` does), so the result is bit-identical.
    /// Nothing (the caller then applies the run event by event) when the run is shorter than
    /// what the columns lack.
    fn apply_run(&self, state: &mut GroupSumState, run: &mut Run<'_>) {
        if !run.columns_pay_off(&[&self.field], &[&self.key]) {
            return; // left to the caller, which folds what a run leaves event by event
        }
        let arena = run.arena();
        run.columns().with_groups(arena, &self.key, &self.field, |ids, names, vals| {
            // Dense accumulators when the group table is small; by id otherwise, so a short
            // run over a log with a million distinct groups does not allocate a million.
            if names.len() <= 4096 {
                let mut acc = vec![f64::NAN; names.len()];
                let touched = accumulate(run, ids, vals, &mut acc, state, names);
                commit(state, names, touched.into_iter().map(|g| (g, acc[g as usize])));
            } else {
                let mut acc: HashMap<u32, f64, FxBuild> = HashMap::default();
                accumulate(run, ids, vals, &mut acc, state, names);
                commit(state, names, acc.into_iter());
            }
        });
    }
}

/// Runs over `run`, adding each event's value into `slot(group)` (NaN = not started yet:
/// start from the state's sum, or from the value itself, exactly as `apply` does).
/// Returns the groups touched.
fn accumulate(
    run: &mut Run<'_>,
    ids: &[u32],
    vals: &[f64],
    acc: &mut impl Slots,
    state: &GroupSumState,
    names: &[Box<str>],
) -> Vec<u32> {
    let mut touched = Vec::new();
    run.for_each(|i, _| {
        let (g, v) = (ids[i], vals[i]);
        if g == NO_GROUP || v.is_nan() {
            return;
        }
        let a = acc.slot(g);
        if a.is_nan() {
            *a = state.0.get(&names[g as usize]).map_or(v, |s| s.0 + v);
            touched.push(g);
        } else {
            *a += v;
        }
    });
    touched
}

/// Per-group accumulators.
trait Slots {
    fn slot(&mut self, g: u32) -> &mut f64;
}

impl Slots for Vec<f64> {
    #[inline]
    fn slot(&mut self, g: u32) -> &mut f64 {
        &mut self[g as usize]
    }
}

impl Slots for HashMap<u32, f64, FxBuild> {
    #[inline]
    fn slot(&mut self, g: u32) -> &mut f64 {
        self.entry(g).or_insert(f64::NAN)
    }
}

fn commit(state: &mut GroupSumState, names: &[Box<str>], sums: impl Iterator<Item = (u32, f64)>) {
    for (g, sum) in sums {
        let name = &names[g as usize];
        match state.0.get_mut(name) {
            Some(s) => s.0 = sum,
            None => {
                state.0.insert(name.clone(), Exact(sum));
            }
        }
    }
}

impl StateCodec for GroupSum {
    fn fingerprint(&self) -> String {
        let mut f = String::from("groupSum/1:[");
        scan::push_string(&mut f, &self.key);
        f.push(',');
        scan::push_string(&mut f, &self.field);
        f + "]"
    }
    fn encode_state(&self, state: &GroupSumState) -> Result<Vec<u8>, Error> {
        Ok(states::encode_sums(&state.0))
    }
    fn decode_state(&self, bytes: &[u8]) -> Result<GroupSumState, DecodeError> {
        states::decode_sums(bytes).map(GroupSumState)
    }
}
