//! Live projections: `log.project(name, { reducer, initial, filter })`.
//!
//! A projection is a fold kept up to date as events arrive, local or remote. Built-in
//! folds (`reducer: Fold.x()`) use the core's incremental `Projection` (checkpoints, and
//! snapshots persisted in IndexedDB every [`SNAPSHOT_EVERY`] events and on `close()`,
//! restored on `project()` after an open); with upcasters registered they fold upcast
//! events and take no snapshots (`projection_fold.rs`). JS reducers work as follows. Local events
//! always land at the end of the total order, so they are folded in incrementally.
//! Remote events may land *before* the projection's last folded event (a concurrent
//! event with a smaller Lamport clock); then the fold is recomputed from `initial`, which
//! keeps the invariant that a projection always equals a fold from scratch over the same
//! events. `initial` is copied with `structuredClone` for each recomputation, so a reducer
//! that mutates its state in place stays correct.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

use super::convert;
use super::event_cache;
use super::fold::state_json;
use super::projection_fold::ProjectionFold;
use super::shared::{report, Shared};
use super::task::promise;
use crate::core::{Builtin, Event, EventRef, Filter, OrderKey, Projection as CoreProjection, ProjectionOptions};

/// A built-in projection writes a snapshot after this many events since the last one
/// (and on `close()`), so that a cold open replays only what came after it.
pub const SNAPSHOT_EVERY: usize = 10_000;

pub enum Reducer {
    Js {
        f: Function,
        initial: JsValue,
    },
    /// The core's incremental projection (checkpoints: an early remote insert rewinds to
    /// the latest checkpoint before it, not to the start; snapshots).
    Builtin {
        proj: RefCell<Box<CoreProjection<ProjectionFold>>>,
        since_snapshot: Cell<usize>,
    },
}

pub struct ProjectionState {
    pub name: String,
    filter: Filter,
    reducer: Reducer,
    value: RefCell<JsValue>,
    /// Order key of the last event folded in.
    tip: Cell<Option<OrderKey>>,
    listeners: RefCell<Vec<(u32, Function)>>,
    next_listener: Cell<u32>,
}

pub fn structured_clone(v: &JsValue) -> JsValue {
    if !v.is_object() {
        return v.clone();
    }
    let f = Reflect::get(&js_sys::global(), &"structuredClone".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
    f.and_then(|f| f.call1(&JsValue::UNDEFINED, v).ok()).unwrap_or_else(|| v.clone())
}

impl ProjectionState {
    pub fn new(name: String, filter: Filter, reducer: Reducer, shared: &Shared) -> Result<Rc<Self>, JsValue> {
        let p = Rc::new(ProjectionState {
            name,
            filter,
            reducer,
            value: RefCell::new(JsValue::UNDEFINED),
            tip: Cell::new(None),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
        });
        p.recompute(shared)?;
        Ok(p)
    }

    /// A built-in projection, restored from its persisted snapshot when there is a valid
    /// one (the core falls back to a full fold when the snapshot does not fit the log).
    /// With upcasters registered, it folds upcast events and ignores snapshots.
    pub fn builtin(name: String, filter: Filter, fold: Builtin, shared: &Rc<Shared>) -> Result<Rc<Self>, JsValue> {
        let upcast = (!shared.toolkit.upcasters.borrow().is_empty()).then(|| Rc::downgrade(shared));
        let fold = ProjectionFold::new(fold, upcast);
        let proj = {
            let log = shared.log.borrow();
            let snap = {
                let mut all = shared.snapshots.borrow_mut();
                all.iter().position(|(n, _)| *n == name).map(|i| all.swap_remove(i).1)
            };
            let snap = snap.filter(|_| !fold.upcasts());
            let restored = snap.and_then(|b| {
                CoreProjection::restore(&log, fold.clone(), filter.clone(), ProjectionOptions::default(), &b).ok()
            });
            match restored {
                Some((p, _)) => p,
                None => CoreProjection::open(&log, fold, filter.clone(), ProjectionOptions::default()),
            }
        };
        let value = convert::parse(&state_json(&proj.fold().inner, proj.state()));
        Ok(Rc::new(ProjectionState {
            name,
            filter,
            reducer: Reducer::Builtin { proj: RefCell::new(Box::new(proj)), since_snapshot: Cell::new(0) },
            value: RefCell::new(value),
            tip: Cell::new(None),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
        }))
    }

    /// The snapshot bytes of a built-in projection (None for JS reducers and for built-ins
    /// that fold upcast events: see `projection_fold.rs`).
    pub fn snapshot(&self, shared: &Shared) -> Option<Vec<u8>> {
        match &self.reducer {
            Reducer::Builtin { proj, since_snapshot } => {
                since_snapshot.set(0);
                let mut p = proj.borrow_mut();
                if p.fold().upcasts() {
                    return None;
                }
                p.snapshot(&shared.log.borrow()).ok()
            }
            Reducer::Js { .. } => None,
        }
    }

    /// Folds every matching event from scratch.
    fn recompute(&self, shared: &Shared) -> Result<(), JsValue> {
        let value = match &self.reducer {
            Reducer::Js { f, initial } => {
                let (cache, indices, tip) = {
                    let log = shared.log.borrow();
                    let indices = event_cache::selection(&log, &self.filter);
                    let last = indices.length().checked_sub(1).map(|i| indices.get_index(i) as usize);
                    let tip = last.map(|i| log.arena_events().at(i).order_key());
                    (shared.js_events.objects(shared, &log), indices, tip)
                };
                self.tip.set(tip);
                event_cache::fold(&cache, &indices, f, structured_clone(initial))?
            }
            Reducer::Builtin { proj, .. } => {
                let log = shared.log.borrow();
                let mut p = proj.borrow_mut();
                p.update(&log);
                convert::parse(&state_json(&p.fold().inner, p.state()))
            }
        };
        *self.value.borrow_mut() = value;
        Ok(())
    }

    /// Brings the projection up to date after `applied` events; tells its subscribers.
    pub fn on_events(&self, shared: &Shared, applied: &[Event], _earliest: Option<OrderKey>) {
        let mut matching: Vec<EventRef<'_>> =
            applied.iter().map(Event::view).filter(|e| self.filter.matches(*e)).collect();
        if matching.is_empty() {
            return;
        }
        let r = if let Reducer::Builtin { proj, since_snapshot } = &self.reducer {
            let mut p = proj.borrow_mut();
            p.update_with(&shared.log.borrow(), applied);
            *self.value.borrow_mut() = convert::parse(&state_json(&p.fold().inner, p.state()));
            since_snapshot.set(since_snapshot.get() + matching.len());
            if since_snapshot.get() >= SNAPSHOT_EVERY {
                drop(p);
                self.persist_snapshot(shared);
            }
            Ok(())
        } else {
            crate::core::event::sort_by_order(&mut matching);
            let incremental = self.tip.get().is_none_or(|tip| matching[0].order_key() > tip);
            if incremental {
                self.fold_in(shared, &matching)
            } else {
                self.recompute(shared)
            }
        };
        if let Err(e) = r {
            report(&e);
            return;
        }
        let value = self.value.borrow().clone();
        let listeners: Vec<Function> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
        for f in listeners {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &value) {
                report(&e);
            }
        }
    }

    /// Writes this projection's snapshot in the background (a failure only costs a
    /// longer replay on the next open).
    fn persist_snapshot(&self, shared: &Shared) {
        let (Some(bytes), Some(store)) = (self.snapshot(shared), shared.store.clone()) else { return };
        let name = self.name.clone();
        let _ = promise(async move {
            store.put_snapshot(&name, &bytes).await.map_err(|e| e.to_js())?;
            Ok(JsValue::UNDEFINED)
        });
    }

    fn fold_in(&self, shared: &Shared, events: &[EventRef<'_>]) -> Result<(), JsValue> {
        let Reducer::Js { f, .. } = &self.reducer else { return Ok(()) }; // built-ins: on_events
        self.tip.set(events.last().map(|e| e.order_key()));
        let (cache, indices) = {
            let log = shared.log.borrow();
            (shared.js_events.objects(shared, &log), event_cache::indices_of(&log, events))
        };
        let state = self.value.borrow().clone();
        let value = event_cache::fold(&cache, &indices, f, state)?;
        *self.value.borrow_mut() = value;
        Ok(())
    }
}

/// A live view: `value` is always the fold of the current log; `subscribe` hears changes.
#[wasm_bindgen(skip_typescript)]
pub struct Projection {
    state: Rc<ProjectionState>,
    shared: Weak<Shared>,
}

impl Projection {
    pub fn new(state: Rc<ProjectionState>, shared: Weak<Shared>) -> Self {
        Projection { state, shared }
    }
}

#[wasm_bindgen]
impl Projection {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.state.name.clone()
    }

    /// The current value.
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> JsValue {
        self.state.value.borrow().clone()
    }

    /// Calls `listener(value)` after every change; returns a function that unsubscribes.
    pub fn subscribe(&self, listener: Function) -> Function {
        let id = self.state.next_listener.get();
        self.state.next_listener.set(id + 1);
        self.state.listeners.borrow_mut().push((id, listener));
        let weak = Rc::downgrade(&self.state);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
        .into_js_value()
        .unchecked_into()
    }

    /// Stops keeping this projection up to date (its value stays readable).
    pub fn close(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.projections.borrow_mut().retain(|p| !Rc::ptr_eq(p, &self.state));
        }
        self.state.listeners.borrow_mut().clear();
    }
}
