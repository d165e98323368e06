//! `Fold`: the built-in folds that run in Rust, and how `log.fold(...)` dispatches.
//!
//! A `Fold` object only names a fold (`Fold.count()`, `Fold.sum("qty")`, …); the state
//! is computed in Rust over the log's events, and only the result crosses to JS. The JS
//! side recognises a `Fold` by its `__everlogFold` getter (a JSON description), which does
//! not consume the object, so one `Fold` can be used any number of times.
//!
//! The folds themselves (semantics, fast paths) are the core's [`Builtin`]s
//! (`src/core/fold/`); this file only names them for JS.

use wasm_bindgen::prelude::*;

use crate::core::fold::scan;
use crate::core::{Builtin, BuiltinState, Filter, Log};
use crate::toolkit::{Upcasted, Upcasters};

/// Which built-in fold. Its description (`__everlogFold`) is JSON such as
/// `{"kind":"groupSum","key":"sku","field":"qty"}`, written and read by hand: a serde
/// derive for an internally tagged enum costs the package kilobytes (docs/size.md).
#[derive(Clone, Debug, PartialEq)]
pub enum FoldSpec {
    Count,
    Sum { field: String },
    GroupSum { key: String, field: String },
    Latest,
    Register,
}

impl FoldSpec {
    /// The core fold this names.
    pub fn builtin(&self) -> Builtin {
        match self {
            FoldSpec::Count => Builtin::count(),
            FoldSpec::Sum { field } => Builtin::sum(field),
            FoldSpec::GroupSum { key, field } => Builtin::group_sum(key, field),
            FoldSpec::Latest => Builtin::latest(),
            FoldSpec::Register => Builtin::register(),
        }
    }

    /// The JSON description.
    pub fn to_json(&self) -> String {
        let (kind, key, field) = match self {
            FoldSpec::Count => ("count", None, None),
            FoldSpec::Sum { field } => ("sum", None, Some(field)),
            FoldSpec::GroupSum { key, field } => ("groupSum", Some(key), Some(field)),
            FoldSpec::Latest => ("latest", None, None),
            FoldSpec::Register => ("register", None, None),
        };
        let mut out = String::from("{\"kind\":");
        scan::push_string(&mut out, kind);
        for (name, v) in [(",\"key\":", key), (",\"field\":", field)] {
            if let Some(v) = v {
                out.push_str(name);
                scan::push_string(&mut out, v);
            }
        }
        out.push('}');
        out
    }

    /// Reads a description written by [`FoldSpec::to_json`].
    pub fn from_json(d: &str) -> Option<FoldSpec> {
        let get = |name| scan::field(d, name).and_then(scan::string);
        Some(match get("kind")?.as_str() {
            "count" => FoldSpec::Count,
            "sum" => FoldSpec::Sum { field: get("field")? },
            "groupSum" => FoldSpec::GroupSum { key: get("key")?, field: get("field")? },
            "latest" => FoldSpec::Latest,
            "register" => FoldSpec::Register,
            _ => return None,
        })
    }
}

/// The state of a built-in fold as JSON text (what JS receives).
pub fn state_json(fold: &Builtin, state: &BuiltinState) -> String {
    fold.json(state)
}

/// Runs a built-in fold over the events `filter` selects (core fold engine), on the
/// events' newest shapes when upcasters are registered.
pub fn run(spec: &FoldSpec, filter: &Filter, log: &Log, upcasters: &Upcasters) -> String {
    let b = spec.builtin();
    if upcasters.is_empty() {
        return state_json(&b, &log.fold(&b, filter));
    }
    let up = Upcasted::new(b, upcasters);
    state_json(&up.inner, &log.fold(&up, filter))
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
        self.spec.to_json()
    }
}

/// The built-in fold `v` names, if `v` is a live `Fold` object.
pub fn spec_of(v: &JsValue) -> Option<FoldSpec> {
    if !v.is_object() {
        return None;
    }
    let d = js_sys::Reflect::get(v, &JsValue::from_str("__everlogFold")).ok()?.as_string()?;
    FoldSpec::from_json(&d)
}
