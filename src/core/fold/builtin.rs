//! The built-in folds as one value, with a JSON result: what the JavaScript face exposes
//! as `Fold.count()`, `Fold.sum(field)`, `Fold.groupSum(key, field)`, `Fold.latest()` and
//! `Fold.register()`.
//!
//! Results:
//! - count → `7`
//! - sum → `12.5` (integral sums print as integers; a sum that overflowed `f64` is `null`)
//! - groupSum → `{"sock": 3, "hat": 1}` (keys sorted)
//! - latest → `{"title": <data>}`
//! - register → `{"title": [<data>, <data>]}` (values in the total order)

use serde_json::{Map, Number, Value};

use super::keyed::{Latest, LatestState, Register, RegisterState};
use super::numeric::{Count, Exact, GroupSum, GroupSumState, Sum};
use super::{states, Causality, Fold, Run, StateCodec};
use crate::core::error::{DecodeError, Error};
use crate::core::event_ref::EventRef;

/// One of the built-in folds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Builtin {
    Count,
    Sum(Sum),
    GroupSum(GroupSum),
    Latest,
    Register,
}

impl Builtin {
    pub fn count() -> Self {
        Builtin::Count
    }
    pub fn sum(field: &str) -> Self {
        Builtin::Sum(Sum::new(field))
    }
    pub fn group_sum(key: &str, field: &str) -> Self {
        Builtin::GroupSum(GroupSum::new(key, field))
    }
    pub fn latest() -> Self {
        Builtin::Latest
    }
    pub fn register() -> Self {
        Builtin::Register
    }

    /// The state as the JSON value JavaScript sees.
    pub fn value(&self, state: &BuiltinState) -> Value {
        match state {
            BuiltinState::Count(n) => Value::from(*n),
            BuiltinState::Sum(s) => number(s.0),
            BuiltinState::GroupSum(g) => {
                object(g.sorted().into_iter().map(|(k, v)| (k.to_owned(), number(v))).collect())
            }
            BuiltinState::Latest(l) => object(l.0.iter().map(|(k, v)| (k.to_string(), parse(v))).collect()),
            BuiltinState::Register(r) => object(
                r.0.iter()
                    .map(|(k, heads)| (k.to_string(), Value::Array(heads.iter().map(|(_, v)| parse(v)).collect())))
                    .collect(),
            ),
        }
    }
}

impl Builtin {
    /// The state as JSON text: the same value as [`Builtin::value`], written directly
    /// (event data spliced in as stored, object keys in the same sorted order). What the
    /// JavaScript face hands to `JSON.parse`; it builds no `serde_json::Value`, so the wasm
    /// package links no JSON tree for it (docs/size.md).
    pub fn json(&self, state: &BuiltinState) -> String {
        let mut out = String::new();
        match state {
            BuiltinState::Count(n) => out.push_str(&n.to_string()),
            BuiltinState::Sum(s) => states::push_number(&mut out, s.0),
            BuiltinState::GroupSum(g) => {
                out.push('{');
                for (i, (k, v)) in g.sorted().into_iter().enumerate() {
                    states::push_key(&mut out, i == 0, k);
                    states::push_number(&mut out, v);
                }
                out.push('}');
            }
            BuiltinState::Latest(l) => {
                out.push('{');
                for (i, (k, v)) in l.0.iter().enumerate() {
                    states::push_key(&mut out, i == 0, k);
                    out.push_str(v);
                }
                out.push('}');
            }
            BuiltinState::Register(r) => {
                out.push('{');
                for (i, (k, heads)) in r.0.iter().enumerate() {
                    states::push_key(&mut out, i == 0, k);
                    for (j, (_, v)) in heads.iter().enumerate() {
                        out.push(if j == 0 { '[' } else { ',' });
                        out.push_str(v);
                    }
                    out.push_str(if heads.is_empty() { "[]" } else { "]" });
                }
                out.push('}');
            }
        }
        out
    }
}

/// A JSON object from its entries (a later duplicate key wins, as with `collect`). Inserting
/// one by one instead of `collect` into the map spares the stable sort that
/// `BTreeMap::from_iter` links for each entry type (the wasm package's size).
fn object(entries: Vec<(String, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in entries {
        map.insert(k, v);
    }
    Value::Object(map)
}

/// An `f64` as a JSON number: integral values within ±2^53 as integers, non-finite as null.
fn number(v: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if v.fract() == 0.0 && v.abs() <= EXACT {
        Value::from(v as i64)
    } else {
        Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// Event data is validated JSON on entry; a state decoded from foreign bytes might not be.
fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The state of a [`Builtin`].
#[derive(Clone, Debug, PartialEq)]
pub enum BuiltinState {
    Count(u64),
    Sum(Exact),
    GroupSum(GroupSumState),
    Latest(LatestState),
    Register(RegisterState),
}

impl Fold for Builtin {
    type State = BuiltinState;

    fn init(&self) -> BuiltinState {
        match self {
            Builtin::Count => BuiltinState::Count(Count.init()),
            Builtin::Sum(f) => BuiltinState::Sum(f.init()),
            Builtin::GroupSum(f) => BuiltinState::GroupSum(f.init()),
            Builtin::Latest => BuiltinState::Latest(Latest.init()),
            Builtin::Register => BuiltinState::Register(Register.init()),
        }
    }

    #[inline]
    fn apply(&self, state: &mut BuiltinState, e: EventRef<'_>, c: &dyn Causality) {
        match (self, state) {
            (Builtin::Count, BuiltinState::Count(s)) => Count.apply(s, e, c),
            (Builtin::Sum(f), BuiltinState::Sum(s)) => f.apply(s, e, c),
            (Builtin::GroupSum(f), BuiltinState::GroupSum(s)) => f.apply(s, e, c),
            (Builtin::Latest, BuiltinState::Latest(s)) => Latest.apply(s, e, c),
            (Builtin::Register, BuiltinState::Register(s)) => Register.apply(s, e, c),
            // A state from another built-in: the caller mixed them up. Folding nothing
            // into it is the only answer that cannot corrupt anything.
            _ => {}
        }
    }

    fn apply_run(&self, state: &mut BuiltinState, run: &mut Run<'_>) {
        match (self, state) {
            (Builtin::Count, BuiltinState::Count(s)) => Count.apply_run(s, run),
            (Builtin::Sum(f), BuiltinState::Sum(s)) => f.apply_run(s, run),
            (Builtin::GroupSum(f), BuiltinState::GroupSum(s)) => f.apply_run(s, run),
            (Builtin::Latest, BuiltinState::Latest(s)) => Latest.apply_run(s, run),
            (Builtin::Register, BuiltinState::Register(s)) => Register.apply_run(s, run),
            _ => {}
        }
    }
}

impl StateCodec for Builtin {
    fn fingerprint(&self) -> String {
        match self {
            Builtin::Count => Count.fingerprint(),
            Builtin::Sum(f) => f.fingerprint(),
            Builtin::GroupSum(f) => f.fingerprint(),
            Builtin::Latest => Latest.fingerprint(),
            Builtin::Register => Register.fingerprint(),
        }
    }

    fn encode_state(&self, state: &BuiltinState) -> Result<Vec<u8>, Error> {
        match (self, state) {
            (Builtin::Count, BuiltinState::Count(s)) => Count.encode_state(s),
            (Builtin::Sum(f), BuiltinState::Sum(s)) => f.encode_state(s),
            (Builtin::GroupSum(f), BuiltinState::GroupSum(s)) => f.encode_state(s),
            (Builtin::Latest, BuiltinState::Latest(s)) => Latest.encode_state(s),
            (Builtin::Register, BuiltinState::Register(s)) => Register.encode_state(s),
            _ => Err(crate::core::error::StorageError::new("DataCloneError", "state of another built-in fold").into()),
        }
    }

    fn decode_state(&self, bytes: &[u8]) -> Result<BuiltinState, DecodeError> {
        Ok(match self {
            Builtin::Count => BuiltinState::Count(Count.decode_state(bytes)?),
            Builtin::Sum(f) => BuiltinState::Sum(f.decode_state(bytes)?),
            Builtin::GroupSum(f) => BuiltinState::GroupSum(f.decode_state(bytes)?),
            Builtin::Latest => BuiltinState::Latest(Latest.decode_state(bytes)?),
            Builtin::Register => BuiltinState::Register(Register.decode_state(bytes)?),
        })
    }
}
