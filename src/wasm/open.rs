//! `EventLog.open(name, options)`: picking the storage, loading, joining the other tabs.

use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::batch;
use super::errors::{to_js, type_error};
use super::idb::IdbStore;
use super::shared::Shared;
use super::tabs::{Slot, Tabs};
use crate::core::{ActorId, Error, Event, Log};

/// Parsed `EventLog.open` options.
pub struct OpenOptions {
    pub memory: bool,
    pub strict: bool,
}

fn opt_str(opts: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    if opts.is_undefined() || opts.is_null() {
        return Ok(None);
    }
    let v = Reflect::get(opts, &key.into())?;
    if v.is_undefined() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| type_error(&format!("options.{key} must be a string")))
}

fn has_indexed_db() -> bool {
    Reflect::get(&js_sys::global(), &"indexedDB".into()).is_ok_and(|v| v.is_object())
}

impl OpenOptions {
    pub fn from_js(opts: &JsValue) -> Result<Self, JsValue> {
        let memory = match opt_str(opts, "storage")?.as_deref() {
            None => !has_indexed_db(),
            Some("memory") => true,
            Some("indexeddb") => false,
            Some(s) => {
                return Err(type_error(&format!("options.storage must be \"indexeddb\" or \"memory\", not \"{s}\"")))
            }
        };
        let strict = match opt_str(opts, "durability")?.as_deref() {
            None | Some("strict") => true,
            Some("relaxed") => false,
            Some(s) => {
                return Err(type_error(&format!("options.durability must be \"strict\" or \"relaxed\", not \"{s}\"")))
            }
        };
        Ok(OpenOptions { memory, strict })
    }
}

/// The stored batches as one event list, allocated once at its final size (growing it
/// batch by batch copied the whole list at every doubling): for `receive`, which takes
/// them all at once.
fn decode_all<K>(batches: &[(K, Vec<u8>)]) -> Result<Vec<Event>, JsValue> {
    let decoded = batches
        .iter()
        .map(|(_, b)| batch::decode(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| to_js(&Error::Decode(e)))?;
    let mut events = Vec::with_capacity(decoded.iter().map(Vec::len).sum());
    for d in decoded {
        events.extend(d);
    }
    Ok(events)
}

/// The log as stored. Storage holds the events in a causal order (every tab persists an
/// event before applying it, after its dependencies), so the core's `restore` replays them
/// without re-validating their fields or planning a causal delivery (most of a cold open's
/// cost with `receive`). A store that is not in that order (not written by this code) is
/// still opened: `receive` takes any order, parking what waits for dependencies.
///
/// Each batch is decoded just before its events are applied and dropped right after, so
/// the decoded events of the whole store are never held at once (nor copied into one list).
fn replay<K>(actor: ActorId, batches: &[(K, Vec<u8>)]) -> Result<Log, JsValue> {
    let mut log = Log::new(actor);
    let mut bad = None;
    let events = batches.iter().map_while(|(_, b)| batch::decode(b).map_err(|e| bad = Some(e)).ok()).flatten();
    let restored = log.restore(events);
    if let Some(e) = bad {
        return Err(to_js(&Error::Decode(e)));
    }
    if restored.is_ok() {
        return Ok(log);
    }
    let mut log = Log::new(actor);
    log.receive(decode_all(batches)?).map_err(|e| to_js(&e))?;
    Ok(log)
}

/// Opens (or creates) the log `name`.
pub async fn open(name: String, opts: OpenOptions) -> Result<Rc<Shared>, JsValue> {
    if name.is_empty() {
        return Err(type_error("a log needs a non-empty name"));
    }
    if opts.memory {
        return Ok(Rc::new(Shared::new(name, Log::new(ActorId::random()), None)));
    }
    let store = IdbStore::open(&name, opts.strict).await.map_err(|e| e.to_js())?;
    // Listen before loading, so that no batch committed by another tab in between is missed.
    let mut tabs = Tabs::listen(&name).ok();
    let loaded = store.load().await.map_err(|e| e.to_js())?;
    // The slot lock lives in `Tabs` (released on close), so without a channel there is no slot.
    let slot = if tabs.is_some() { Slot::acquire(&name).await } else { None };
    let actor = match &slot {
        Some(s) => {
            let key = format!("actor:{}", s.n);
            let stored =
                loaded.meta.iter().find(|(k, _)| *k == key).and_then(|(_, v)| <[u8; 16]>::try_from(&v[..]).ok());
            match stored {
                Some(b) => ActorId(b),
                None => {
                    let a = ActorId::random();
                    store.put_meta(&key, a.as_bytes()).await.map_err(|e| e.to_js())?;
                    a
                }
            }
        }
        None => ActorId::random(),
    };
    let log = replay(actor, &loaded.batches)?;
    let last_key = loaded.batches.last().map_or(0.0, |(k, _)| *k);
    let shared = Rc::new(Shared::new(name, log, Some(store)));
    *shared.snapshots.borrow_mut() = loaded.snapshots.into_iter().collect();
    if let Some(store) = &shared.store {
        // `onClose` listeners learn of a lost connection when it happens, in a microtask
        // of their own (never inside the call or the browser event that found out).
        let weak = Rc::downgrade(&shared);
        store.on_lost(Box::new(move || {
            let weak = weak.clone();
            spawn_local(async move {
                if let Some(s) = weak.upgrade() {
                    s.notify_closed();
                }
            });
        }));
    }
    if let Some(t) = tabs.as_mut() {
        t.set_slot(slot);
        t.attach(&shared, last_key);
    }
    *shared.tabs.borrow_mut() = tabs;
    Ok(shared)
}
