//! JS reducer folds over a cache of JS event objects, built once per event.
//!
//! Why: a JS reducer fold used to write every selected event as JSON, `JSON.parse` it,
//! and call the reducer once per event from Rust; building the objects cost ~150× the
//! reducer itself (docs/js-interop.md). Events are immutable, so each event's JS object
//! is built once, kept, and reused by every later fold and JS projection.
//!
//! How:
//! - The cache is a JS array indexed by the log's *arena* index (arrival order). The
//!   arena only grows and never moves an event, so the cache is always a valid prefix of
//!   it: remote events that land in the middle of the total order need no invalidation,
//!   only the tail is ever added (lazily, at the next fold).
//! - The tail is built in chunks of [`CHUNK`] events: one JSON text per chunk (Rust) and
//!   one `JSON.parse` (JS), so the wasm heap holds at most one chunk's text at a time
//!   (wasm memory never shrinks once grown).
//! - A fold hands JS the selected arena indices in the total order (a `Uint32Array`, one
//!   copy) and the reduce loop runs in JS (`js/events.js`): one crossing per fold.
//! - The cache is created on the first JS fold, so apps that use only built-in folds pay
//!   nothing (no JS heap, no time at open or merge). It lives in the JS heap, not in the
//!   wasm heap, and is dropped on `close()`.
//! - Cached objects are deeply frozen: they are shared by every fold (see `js/events.js`).
//!
//! Objects have the shape every read hands to JS (`toolkit::write_events_json`: upcasters
//! applied, revert links). Anything that changes that shape must call
//! [`EventCache::clear`], and the next fold rebuilds the cache: registering an upcaster
//! (`log.upcast`) and applying a compensation (it adds `revertedBy` to an older event) do.

use std::cell::RefCell;

use js_sys::{Array, Function, Uint32Array};
use wasm_bindgen::prelude::*;

use super::shared::Shared;
use super::toolkit;
use crate::core::{EventRef, Filter, Log};

/// Events per JSON chunk when the cache is extended.
pub const CHUNK: usize = 8192;

#[wasm_bindgen(module = "/js/events.js")]
extern "C" {
    #[wasm_bindgen(js_name = extendCache)]
    fn extend_cache(cache: &Array, json: &str);
    #[wasm_bindgen(js_name = foldIndexed, catch)]
    fn fold_indexed(cache: &Array, order: &Uint32Array, reducer: &Function, acc: JsValue) -> Result<JsValue, JsValue>;
}

/// The JS objects of a log's events, by arena index (see the module docs).
#[derive(Default)]
pub struct EventCache {
    objects: RefCell<Option<Array>>,
}

impl EventCache {
    /// The cache, extended to every event of `log` (the log of `shared`), in the shape
    /// every read hands to JS (the toolkit's: upcasters applied, revert links).
    pub fn objects(&self, shared: &Shared, log: &Log) -> Array {
        let arr = self.objects.borrow_mut().get_or_insert_with(Array::new).clone();
        let arena = log.arena_events();
        let have = arr.length() as usize;
        if have < arena.len() {
            let mut json = String::new();
            for (k, from) in (have..arena.len()).step_by(CHUNK).enumerate() {
                json.clear();
                toolkit::write_events_json(shared, log, arena.range(from, from + CHUNK), &mut json);
                // An upcaster (JS) that folded the log while this chunk was written has
                // filled it already: never push an event twice.
                if arr.length() as usize == have + k * CHUNK {
                    extend_cache(&arr, &json);
                }
            }
        }
        arr
    }

    /// Forgets every cached object (rebuilt on the next fold).
    pub fn clear(&self) {
        self.objects.borrow_mut().take();
    }

    /// Number of cached objects.
    pub fn len(&self) -> usize {
        self.objects.borrow().as_ref().map_or(0, |a| a.length() as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Arena indices of the events `filter` selects, in the total order (as `Log::events`).
pub fn selection(log: &Log, filter: &Filter) -> Uint32Array {
    let base: &[u32] = match &filter.stream {
        Some(s) => log.stream_positions(s),
        None => log.order_positions(),
    };
    let everything = filter.stream_prefix.is_none()
        && filter.types.is_empty()
        && filter.key.is_none()
        && filter.at.is_none()
        && filter.limit.is_none_or(|l| l >= base.len());
    if everything {
        return Uint32Array::from(base);
    }
    let arena = log.arena_events();
    let picked: Vec<u32> = base
        .iter()
        .copied()
        .filter(|i| filter.matches(arena.at(*i as usize)))
        .take(filter.limit.unwrap_or(usize::MAX))
        .collect();
    Uint32Array::from(picked.as_slice())
}

/// Arena indices of `events` (which must be applied events of `log`), in the given order.
pub fn indices_of(log: &Log, events: &[EventRef<'_>]) -> Uint32Array {
    let picked: Vec<u32> = events.iter().filter_map(|e| log.arena_index(&e.id())).collect();
    Uint32Array::from(picked.as_slice())
}

/// Runs `reducer` over `indices` of the cache, starting from `initial`.
pub fn fold(cache: &Array, indices: &Uint32Array, reducer: &Function, initial: JsValue) -> Result<JsValue, JsValue> {
    fold_indexed(cache, indices, reducer, initial)
}
