//! `log.decide(stream, { initial, evolve, decide }, command, { maxRetries? })`: command
//! handling with optimistic concurrency, the JS face of `toolkit::decider`.
//!
//! The logic is JS callbacks, so this is a thin loop rather than the Rust `Decider`
//! trait (whose `decide` cannot await): fold `stream` with `evolve` from a
//! `structuredClone` of `initial` (events in their newest shape), call
//! `decide(command, state)` (it may return a promise), append the drafts with
//! `expectedVersion` = the number of events folded (`"no-stream"` for an empty stream).
//! On a `ConcurrencyError` (someone appended in between: another tab, a sync, an
//! `append` awaited inside `decide`) fold again and retry, at most `maxRetries` times
//! (default 2: three attempts in all, as in Rust), then rethrow that error.
//! Drafts without a `stream` go to the decided stream; another stream is a `TypeError`
//! (the version check covers one stream). A `decide` that throws rejects with its error.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::convert::{self, drafts_from_js};
use super::errors::type_error;
use super::event_cache;
use super::event_log::EventLog;
use super::projection::structured_clone;
use super::task::promise;
use crate::core::{AppendOptions, ExpectedVersion, Filter};

/// Three attempts in all by default, like `toolkit::DecideOptions`.
const DEFAULT_MAX_RETRIES: u32 = 2;

fn function(decider: &JsValue, k: &str) -> Result<Function, JsValue> {
    Reflect::get(decider, &k.into())?
        .dyn_into()
        .map_err(|_| type_error(&format!("decide: decider.{k} must be a function")))
}

fn max_retries(options: &JsValue) -> Result<u32, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(DEFAULT_MAX_RETRIES);
    }
    let v = Reflect::get(options, &"maxRetries".into())?;
    if v.is_undefined() {
        return Ok(DEFAULT_MAX_RETRIES);
    }
    match v.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1e6 => Ok(n as u32),
        _ => Err(type_error("decide: maxRetries must be a non-negative integer")),
    }
}

/// The drafts `decide` returned (one or an array), each in `stream`.
fn drafts_in(stream: &str, out: &JsValue) -> Result<Array, JsValue> {
    let list = if Array::is_array(out) {
        out.clone().unchecked_into::<Array>()
    } else if out.is_undefined() || out.is_null() {
        Array::new()
    } else {
        Array::of1(out)
    };
    let fixed = Array::new();
    for d in list.iter() {
        if !d.is_object() {
            return Err(type_error("decide must return an event draft or an array of them"));
        }
        let s = Reflect::get(&d, &"stream".into())?;
        if let Some(other) = s.as_string().filter(|o| o != stream) {
            return Err(type_error(&format!(
                "a decision on stream {stream:?} may only append to it, not to {other:?}"
            )));
        }
        let copy = Object::assign(&Object::new(), d.unchecked_ref());
        Reflect::set(&copy, &"stream".into(), &stream.into())?;
        fixed.push(&copy);
    }
    Ok(fixed)
}

fn is_concurrency(e: &JsValue) -> bool {
    Reflect::get(e, &"code".into()).ok().and_then(|c| c.as_string()).as_deref() == Some("CONCURRENCY")
}

#[wasm_bindgen]
impl EventLog {
    /// Folds `stream`, asks `decider.decide(command, state)`, appends what it returns with
    /// an expected version, retrying on concurrency (see the module docs). Resolves with
    /// the appended events (`[]` when the decision appends nothing).
    pub fn decide(&self, stream: String, decider: JsValue, command: JsValue, options: JsValue) -> Promise {
        let prep = (|| {
            self.shared.check_open()?;
            if !decider.is_object() {
                return Err(type_error("decide expects { initial, evolve, decide }"));
            }
            let initial = Reflect::get(&decider, &"initial".into())?;
            Ok((initial, function(&decider, "evolve")?, function(&decider, "decide")?, max_retries(&options)?))
        })();
        let (initial, evolve, decide, retries) = match prep {
            Ok(p) => p,
            Err(e) => return Promise::reject(&e),
        };
        let shared = self.shared.clone();
        promise(async move {
            let mut attempt = 0;
            loop {
                shared.check_open()?;
                // The stream's events from the JS fold cache (src/wasm/event_cache.rs).
                let (cache, indices) = {
                    let log = shared.log.borrow();
                    let f = Filter::stream(&stream);
                    (shared.js_events.objects(&shared, &log), event_cache::selection(&log, &f))
                };
                let folded = indices.length() as usize;
                let state = event_cache::fold(&cache, &indices, &evolve, structured_clone(&initial))?;
                let out = decide.call2(&JsValue::UNDEFINED, &command, &state)?;
                let out = JsFuture::from(Promise::resolve(&out)).await?;
                let drafts = drafts_in(&stream, &out)?;
                if drafts.length() == 0 {
                    return Ok(Array::new().into());
                }
                let (drafts, _) = drafts_from_js(&drafts)?;
                let expected =
                    if folded == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(folded as u64) };
                match shared.clone().append_local(drafts, AppendOptions { expected_version: expected }).await {
                    Ok(events) => return Ok(convert::events_to_js(&events)),
                    Err(e) if is_concurrency(&e) && attempt < retries => attempt += 1,
                    Err(e) => return Err(e),
                }
            }
        })
    }
}
