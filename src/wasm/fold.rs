//! `Fold`: the built-in folds that run in Rust, and how `log.fold(...)` dispatches.
//!
//! A `Fold` object only names a fold (`Fold.count()`, `Fold.sum("qty")`, …); the state
//! is computed in Rust over the log's events, and only the result crosses to JS. The JS
//! side recognises a `Fold` by its `__everlogFold` getter (a JSON description), which does
//! not consume the object, so one `Fold` can be used any number of times.
//!
//! Semantics (every replica computes the same result: events are visited in the total
//! order):
//! - `count()`: number of events.
//! - `sum(field)`: sum of `data[field]` over events where it is a number.
//! - `groupSum(key, field)`: `{ [data[key]]: sum of data[field] }`.
//! - `latest()`: `{ [event.key]: data }` of the last event (in total order) per key.
//! - `register()`: `{ [event.key]: data[] }`: the current values per key, one per
//!   concurrent write (keep-both), in total order. Events without `key` are skipped by
//!   `latest` and `register`; keys are not qualified by stream, so give a stream filter.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;

use crate::core::{Event, EventId, Log};

/// Which built-in fold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FoldSpec {
    Count,
    Sum { field: String },
    GroupSum { key: String, field: String },
    Latest,
    Register,
}

/// The running state of a built-in fold.
#[derive(Clone, Debug)]
pub enum FoldState {
    Count(u64),
    Sum(f64),
    GroupSum(BTreeMap<String, f64>),
    Latest(BTreeMap<String, EventId>),
    Register(BTreeMap<String, Vec<EventId>>),
}

/// The top-level fields of a JSON object, borrowed where possible.
fn fields(data: &str) -> Option<HashMap<String, &RawValue>> {
    serde_json::from_str(data).ok()
}

fn number(v: Option<&&RawValue>) -> Option<f64> {
    v.and_then(|r| r.get().parse::<f64>().ok())
}

fn group_name(v: &RawValue) -> String {
    serde_json::from_str::<String>(v.get()).unwrap_or_else(|_| v.get().to_string())
}

impl FoldState {
    pub fn new(spec: &FoldSpec) -> Self {
        match spec {
            FoldSpec::Count => FoldState::Count(0),
            FoldSpec::Sum { .. } => FoldState::Sum(0.0),
            FoldSpec::GroupSum { .. } => FoldState::GroupSum(BTreeMap::new()),
            FoldSpec::Latest => FoldState::Latest(BTreeMap::new()),
            FoldSpec::Register => FoldState::Register(BTreeMap::new()),
        }
    }

    /// Folds one event in (events must come in the total order).
    pub fn step(&mut self, spec: &FoldSpec, e: &Event, log: &Log) {
        match (self, spec) {
            (FoldState::Count(n), _) => *n += 1,
            (FoldState::Sum(s), FoldSpec::Sum { field }) => {
                if let Some(x) = fields(&e.data).and_then(|f| number(f.get(field.as_str()))) {
                    *s += x;
                }
            }
            (FoldState::GroupSum(m), FoldSpec::GroupSum { key, field }) => {
                if let Some(f) = fields(&e.data) {
                    if let (Some(k), Some(x)) = (f.get(key.as_str()), number(f.get(field.as_str()))) {
                        *m.entry(group_name(k)).or_insert(0.0) += x;
                    }
                }
            }
            (FoldState::Latest(m), _) => {
                if let Some(k) = &e.key {
                    m.insert(k.to_string(), e.id);
                }
            }
            (FoldState::Register(m), _) => {
                if let Some(k) = &e.key {
                    let heads = m.entry(k.to_string()).or_default();
                    heads.retain(|h| !log.happened_before(h, &e.id));
                    heads.push(e.id);
                }
            }
            _ => {}
        }
    }

    /// The state as JSON text (what JS receives).
    pub fn to_json(&self, log: &Log) -> String {
        let data = |id: &EventId| log.get(id).map_or("null", |e| &*e.data).to_string();
        match self {
            FoldState::Count(n) => n.to_string(),
            FoldState::Sum(s) => serde_json::to_string(s).unwrap_or_else(|_| "null".into()),
            FoldState::GroupSum(m) => serde_json::to_string(m).unwrap_or_else(|_| "{}".into()),
            FoldState::Latest(m) => {
                let raw: BTreeMap<&str, Box<RawValue>> =
                    m.iter().filter_map(|(k, id)| Some((k.as_str(), RawValue::from_string(data(id)).ok()?))).collect();
                serde_json::to_string(&raw).unwrap_or_else(|_| "{}".into())
            }
            FoldState::Register(m) => {
                let raw: BTreeMap<&str, Vec<Box<RawValue>>> = m
                    .iter()
                    .map(|(k, ids)| {
                        (k.as_str(), ids.iter().filter_map(|id| RawValue::from_string(data(id)).ok()).collect())
                    })
                    .collect();
                serde_json::to_string(&raw).unwrap_or_else(|_| "{}".into())
            }
        }
    }
}

/// Runs a built-in fold over events (in the total order) and returns its state as JSON.
pub fn run<'a>(spec: &FoldSpec, events: impl Iterator<Item = &'a Event>, log: &Log) -> String {
    let mut st = FoldState::new(spec);
    for e in events {
        st.step(spec, e, log);
    }
    st.to_json(log)
}

/// A built-in fold, run in Rust: `log.fold(Fold.groupSum("sku", "qty"), filter)`.
#[wasm_bindgen(skip_typescript)]
pub struct Fold {
    spec: FoldSpec,
}

#[wasm_bindgen]
impl Fold {
    /// Number of events.
    pub fn count() -> Fold {
        Fold { spec: FoldSpec::Count }
    }

    /// Sum of the numeric `data[field]`.
    pub fn sum(field: String) -> Fold {
        Fold { spec: FoldSpec::Sum { field } }
    }

    /// `{ [data[key]]: sum of data[field] }`.
    #[wasm_bindgen(js_name = groupSum)]
    pub fn group_sum(key: String, field: String) -> Fold {
        Fold { spec: FoldSpec::GroupSum { key, field } }
    }

    /// `{ [event.key]: data }` of the last event per key.
    pub fn latest() -> Fold {
        Fold { spec: FoldSpec::Latest }
    }

    /// `{ [event.key]: data[] }`: current values per key, several when concurrent.
    pub fn register() -> Fold {
        Fold { spec: FoldSpec::Register }
    }

    /// The fold's description; how `log.fold` recognises a `Fold`.
    #[wasm_bindgen(getter, js_name = __everlogFold)]
    pub fn description(&self) -> String {
        serde_json::to_string(&self.spec).unwrap_or_default()
    }
}

/// The built-in fold `v` names, if `v` is a live `Fold` object.
pub fn spec_of(v: &JsValue) -> Option<FoldSpec> {
    if !v.is_object() {
        return None;
    }
    let d = js_sys::Reflect::get(v, &JsValue::from_str("__everlogFold")).ok()?.as_string()?;
    serde_json::from_str(&d).ok()
}
