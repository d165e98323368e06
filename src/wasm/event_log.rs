//! `EventLog`: the JavaScript class. Thin: argument conversion, then [`Shared`] or the core.
//!
//! Reads (`events`, `get`, `fold`, `version`, …) are synchronous and see every committed
//! event; writes (`append`, `close`) return promises that settle once the storage has
//! committed. The TypeScript declarations are written by hand in `types.rs` (overloads and
//! generics that wasm-bindgen cannot express).

use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::convert::{self, drafts_from_js, expected_version_from_js, filter_from_js};
use super::errors::{check_poison, type_error};
use super::event_cache;
use super::fold;
use super::open::{open, OpenOptions};
use super::peer::Peer;
use super::projection::{Projection, ProjectionState, Reducer};
use super::shared::{report, Shared};
use super::task::promise;
use super::toolkit;
use crate::core::fold::scan::push_string;
use crate::core::{AppendOptions, Event, EventId, Filter};

#[wasm_bindgen(skip_typescript)]
pub struct EventLog {
    pub(crate) shared: Rc<Shared>,
}

#[wasm_bindgen]
impl EventLog {
    /// Opens (or creates) a log. Options: `storage` ("indexeddb" | "memory"), `durability`
    /// ("strict" | "relaxed").
    pub fn open(name: String, options: JsValue) -> Promise {
        let opts = match OpenOptions::from_js(&options) {
            Ok(o) => o,
            Err(e) => return Promise::reject(&e),
        };
        promise(async move { open(name, opts).await.map(|shared| EventLog { shared }.into()) })
    }

    /// Deletes the IndexedDB database of log `name` (every tab must have closed it).
    #[wasm_bindgen(js_name = deleteDatabase)]
    pub fn delete_database(name: String) -> Promise {
        promise(async move {
            super::idb::delete_db(&super::idb::IdbStore::db_name(&name)).await.map_err(|e| e.to_js())?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// This replica's actor id (32 hex digits).
    #[wasm_bindgen(getter)]
    pub fn actor(&self) -> String {
        self.shared.log.borrow().actor().to_hex()
    }

    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.shared.name.clone()
    }

    /// Appends one event or an atomic batch; resolves with the event(s) once durable.
    pub fn append(&self, input: JsValue, options: JsValue) -> Promise {
        let prep = (|| {
            self.shared.check_open()?;
            let (drafts, many) = drafts_from_js(&input)?;
            let expected = if options.is_object() {
                expected_version_from_js(&js_sys::Reflect::get(&options, &"expectedVersion".into())?)?
            } else if options.is_undefined() || options.is_null() {
                Default::default()
            } else {
                return Err(type_error("append options must be an object"));
            };
            Ok((drafts, many, AppendOptions { expected_version: expected }))
        })();
        let (drafts, many, opts) = match prep {
            Ok(p) => p,
            Err(e) => return Promise::reject(&e),
        };
        let shared = self.shared.clone();
        promise(async move {
            let events = shared.append_local(drafts, opts).await?;
            Ok(if many {
                convert::events_to_js(events.iter().map(Event::view))
            } else {
                convert::event_to_js(events[0].view())
            })
        })
    }

    /// The event with this id (`"<seq>@<actor>"`) or idempotency key; `undefined` if none.
    pub fn get(&self, id: &str) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let log = self.shared.log.borrow();
        let e = match id.parse::<EventId>() {
            Ok(eid) => log.get(&eid),
            Err(_) => log.get_by_idempotency_key(id),
        };
        // The newest shape and revert links (see toolkit.rs).
        let arr = toolkit::events_to_js(&self.shared, &log, e);
        Ok(if e.is_some() { js_sys::Array::from(&arr).get(0) } else { JsValue::UNDEFINED })
    }

    /// Events matching `filter`, in the total order.
    pub fn events(&self, filter: JsValue) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let f = filter_from_js(&filter)?;
        let log = self.shared.log.borrow();
        Ok(toolkit::events_to_js(&self.shared, &log, log.events(&f)))
    }

    /// Number of events in `stream`.
    #[wasm_bindgen(js_name = streamVersion)]
    pub fn stream_version(&self, stream: &str) -> Result<f64, JsValue> {
        self.shared.check_open()?;
        Ok(self.shared.log.borrow().stream_version(stream) as f64)
    }

    /// The version vector `{ [actor]: seq }`.
    pub fn version(&self) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let mut out = String::new();
        self.shared.log.borrow().version().push_json(&mut out);
        Ok(convert::parse(&out))
    }

    /// `fold(reducer, initial, filter?)` with a JS reducer, or `fold(Fold.x(), filter?)`.
    pub fn fold(&self, a: JsValue, b: JsValue, c: JsValue) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        if let Some(spec) = fold::spec_of(&a) {
            let f = filter_from_js(&b)?;
            let log = self.shared.log.borrow();
            let up = self.shared.toolkit.upcasters.borrow();
            return Ok(convert::parse(&fold::run(&spec, &f, &log, &up)));
        }
        let reducer: Function = a.dyn_into().map_err(|_| type_error("fold expects a reducer function or a Fold"))?;
        let f = filter_from_js(&c)?;
        // The log is not borrowed while the reducer runs (it may read the log).
        let (cache, indices) = {
            let log = self.shared.log.borrow();
            (self.shared.js_events.objects(&self.shared, &log), event_cache::selection(&log, &f))
        };
        event_cache::fold(&cache, &indices, &reducer, b)
    }

    /// A live projection: `project(name, { reducer, initial, filter })`; `reducer` may be a `Fold`.
    /// A second projection with the same name replaces the first.
    pub fn project(&self, name: String, options: JsValue) -> Result<Projection, JsValue> {
        self.shared.check_open()?;
        if !options.is_object() {
            return Err(type_error("project expects { reducer, initial, filter }"));
        }
        let get = |k: &str| js_sys::Reflect::get(&options, &k.into());
        let r = get("reducer")?;
        let filter: Filter = filter_from_js(&get("filter")?)?;
        if filter.limit.is_some() || filter.at.is_some() {
            return Err(type_error("a projection follows the live log: its filter takes no `limit` or `at`"));
        }
        let state = match fold::spec_of(&r) {
            Some(spec) => ProjectionState::builtin(name.clone(), filter, spec.builtin(), &self.shared)?,
            None => {
                let reducer = Reducer::Js {
                    f: r.dyn_into().map_err(|_| type_error("project: reducer must be a function or a Fold"))?,
                    initial: get("initial")?,
                };
                ProjectionState::new(name.clone(), filter, reducer, &self.shared)?
            }
        };
        let mut list = self.shared.projections.borrow_mut();
        list.retain(|p| p.name != name);
        list.push(state.clone());
        Ok(Projection::new(state, Rc::downgrade(&self.shared)))
    }

    /// Calls `listener(events)` for every change, local or remote; returns an unsubscribe function.
    pub fn subscribe(&self, listener: Function) -> Result<Function, JsValue> {
        self.shared.check_open()?;
        let id = self.shared.next_listener.get();
        self.shared.next_listener.set(id + 1);
        self.shared.listeners.borrow_mut().push((id, listener));
        let weak = Rc::downgrade(&self.shared);
        Ok(Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
        .into_js_value()
        .unchecked_into())
    }

    /// Calls `listener(error)` once when the log closes: after `close()`, or when its
    /// database went away (another tab upgraded or deleted it, the browser closed it), with
    /// the `ClosedError` later calls get. On a closed log, at once (in a microtask).
    /// Returns a function that removes the listener.
    #[wasm_bindgen(js_name = onClose)]
    pub fn on_close(&self, listener: Function) -> Function {
        if self.shared.is_closed() || check_poison().is_err() {
            let shared = self.shared.clone();
            spawn_local(async move {
                if let Err(e) = listener.call1(&JsValue::UNDEFINED, &shared.closed_error()) {
                    report(&e);
                }
            });
            return Function::new_no_args("");
        }
        let id = self.shared.next_listener.get();
        self.shared.next_listener.set(id + 1);
        self.shared.close_listeners.borrow_mut().push((id, listener));
        let weak = Rc::downgrade(&self.shared);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.close_listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
        .into_js_value()
        .unchecked_into()
    }

    /// Current conflicts: `[{ stream, key, events }]`.
    pub fn conflicts(&self, filter: JsValue) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let f = filter_from_js(&filter)?;
        let log = self.shared.log.borrow();
        let mut out = String::from("[");
        for (i, c) in log.conflicts(&f).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"stream\":");
            push_string(&mut out, &c.stream);
            out.push_str(",\"key\":");
            push_string(&mut out, &c.key);
            out.push_str(",\"events\":");
            out.push_str(&convert::events_json(c.events.iter().map(Event::view)));
            out.push('}');
        }
        out.push(']');
        Ok(convert::parse(&out))
    }

    /// Every conflict that ever happened in matching streams, open or resolved, the same on
    /// every replica: `[{ stream, key, siblings: [id], resolvedBy: id | null }]`.
    #[wasm_bindgen(js_name = conflictHistory)]
    pub fn conflict_history(&self, filter: JsValue) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let f = filter_from_js(&filter)?;
        let mut out = String::from("[");
        for (i, c) in self.shared.log.borrow().conflict_history(&f).iter().enumerate() {
            out.push_str(if i > 0 { ",{\"stream\":" } else { "{\"stream\":" });
            push_string(&mut out, &c.stream);
            out.push_str(",\"key\":");
            push_string(&mut out, &c.key);
            out.push_str(",\"siblings\":[");
            for (j, s) in c.siblings.iter().enumerate() {
                out.push_str(if j > 0 { ",\"" } else { "\"" });
                out.push_str(&s.to_string());
                out.push('"');
            }
            out.push_str("],\"resolvedBy\":");
            match &c.resolved_by {
                Some(id) => {
                    out.push('"');
                    out.push_str(&id.to_string());
                    out.push('"');
                }
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push(']');
        Ok(convert::parse(&out))
    }

    /// Syncs with one other replica over any transport: a `Peer`, bytes in and bytes out.
    pub fn peer(&self) -> Result<Peer, JsValue> {
        self.shared.check_open()?;
        Ok(Peer::new(self.shared.clone()))
    }

    /// Syncs with the relay over WebSocket until `close()`: `connect(url, { room, token })`
    /// returns a `Connection` (`status`, `progress`, "status"/"progress" events).
    pub fn connect(&self, url: String, options: JsValue) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        Ok(super::connection::connect(&self.shared, &url, &options))
    }

    /// True once `close()` was called, or once the database connection was lost (another
    /// tab upgraded or deleted the database, or the browser closed it).
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Waits for pending writes, then closes storage and tab links. Idempotent.
    pub fn close(&self) -> Promise {
        let shared = self.shared.clone();
        promise(async move {
            let _guard = shared.lock.lock().await;
            if !shared.closed.get() {
                // Snapshots of built-in projections, so the next open replays less.
                let projections: Vec<_> = shared.projections.borrow().clone();
                if let Some(store) = &shared.store {
                    for p in projections {
                        if let Some(bytes) = p.snapshot(&shared) {
                            // Best effort: a failed snapshot only means a longer replay.
                            let _ = store.put_snapshot(&p.name, &bytes).await;
                        }
                    }
                }
            }
            if !shared.closed.replace(true) {
                if let Some(t) = shared.tabs.borrow_mut().take() {
                    t.close();
                }
                if let Some(s) = &shared.store {
                    s.close();
                }
                shared.listeners.borrow_mut().clear();
                shared.toolkit.close();
                shared.projections.borrow_mut().clear();
                shared.js_events.clear();
            }
            shared.notify_closed();
            Ok(JsValue::UNDEFINED)
        })
    }
}
