//! The state behind one `EventLog`, and the only two ways it changes.
//!
//! Every change goes through [`Shared::append_local`] (this tab's own events) or
//! [`Shared::ingest`] (events from another tab, a sync peer, later the relay). Both follow
//! the same steps under the write lock: validate and plan against the in-memory log
//! (nothing changes), persist the batch (one IndexedDB transaction, awaited until
//! `complete`), apply it in memory, and only then tell projections and subscribers. A
//! failure before the apply leaves both the database and the in-memory log as they were.
//!
//! Subscribers and projections see each applied event exactly once: the core reports
//! only events that were not in the log before (duplicates from several paths, e.g. a
//! BroadcastChannel message and a catch-up read of the same batch, are dropped there).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::batch;
use super::errors::{check_poison, closed, closed_by_storage, to_js};
use super::event_cache::EventCache;
use super::idb::IdbStore;
use super::projection::ProjectionState;
use super::tabs::Tabs;
use super::task::{WriteGuard, WriteLock};
use super::toolkit::{self, ToolkitState};
use crate::core::{AppendOptions, Draft, Event, Log, OrderKey, Received};

/// Something kept up to date with the log besides projections and subscribers: the
/// documents of the `documents` build (src/wasm/document). Held weakly, so an observer the
/// app dropped is forgotten; `Any` lets its owner find it again (one document per stream).
pub trait Observer: std::any::Any {
    /// Called after `applied` events were committed, before the log's subscribers.
    fn on_events(&self, shared: &Shared, applied: &[Event]);
}

pub struct Shared {
    pub name: String,
    pub log: RefCell<Log>,
    /// `None` for `storage: "memory"`.
    pub store: Option<Rc<IdbStore>>,
    /// Persisted projection snapshots not yet claimed by a `project()` call.
    /// (A list: a handful of names, and no hash map instance in the package for it.)
    pub snapshots: RefCell<Vec<(String, Vec<u8>)>>,
    pub lock: Rc<WriteLock>,
    pub closed: Cell<bool>,
    pub listeners: RefCell<Vec<(u32, Function)>>,
    pub next_listener: Cell<u32>,
    /// `log.onClose` listeners, called once when the log closes.
    pub close_listeners: RefCell<Vec<(u32, Function)>>,
    pub projections: RefCell<Vec<Rc<ProjectionState>>>,
    pub tabs: RefCell<Option<Tabs>>,
    /// JS objects of the events, for JS reducer folds (built on the first one).
    pub js_events: EventCache,
    pub observers: RefCell<Vec<Weak<dyn Observer>>>,
    /// Upcasters, revert links, named handlers (`src/wasm/toolkit.rs`).
    pub toolkit: ToolkitState,
}

/// Wall clock in ms.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

impl Shared {
    pub fn new(name: String, log: Log, store: Option<IdbStore>) -> Self {
        Shared {
            name,
            log: RefCell::new(log),
            store: store.map(Rc::new),
            snapshots: RefCell::default(),
            lock: WriteLock::new(),
            closed: Cell::new(false),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
            close_listeners: RefCell::new(Vec::new()),
            projections: RefCell::new(Vec::new()),
            tabs: RefCell::new(None),
            js_events: EventCache::default(),
            observers: RefCell::new(Vec::new()),
            toolkit: ToolkitState::default(),
        }
    }

    /// Fails with `ClosedError` after `close()`, a panic, or the loss of the database
    /// connection (then with the `StorageError` saying why as `cause`).
    pub fn check_open(&self) -> Result<(), JsValue> {
        check_poison()?;
        if self.closed.get() {
            return Err(closed());
        }
        if let Some(lost) = self.store.as_ref().and_then(|s| s.lost()) {
            return Err(closed_by_storage(&lost.error, &lost.cause));
        }
        Ok(())
    }

    /// The `ClosedError` of a closed log: `cause` says why when its database went away.
    pub fn closed_error(&self) -> JsValue {
        match self.store.as_ref().and_then(|s| s.lost()) {
            Some(lost) => closed_by_storage(&lost.error, &lost.cause),
            None => closed(),
        }
    }

    /// Calls the `onClose` listeners (each once) with the log's `ClosedError`.
    pub fn notify_closed(&self) {
        let listeners = std::mem::take(&mut *self.close_listeners.borrow_mut());
        if listeners.is_empty() {
            return;
        }
        let err = self.closed_error();
        for (_, f) in listeners {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &err) {
                report(&e);
            }
        }
    }

    /// True after `close()` or once the database connection was lost.
    pub fn is_closed(&self) -> bool {
        self.closed.get() || self.store.as_ref().is_some_and(|s| s.lost().is_some())
    }

    /// Appends this tab's drafts as one atomic batch; resolves after the batch is durable.
    pub async fn append_local(self: Rc<Self>, drafts: Vec<Draft>, opts: AppendOptions) -> Result<Vec<Event>, JsValue> {
        let guard = self.lock.lock().await;
        self.append_locked(guard, drafts, opts).await
    }

    /// [`append_local`](Self::append_local) for a caller that already holds the write lock
    /// (a document builds its change under the lock, so that changes reach the log in the
    /// order they were made). The lock is released before subscribers are told.
    pub async fn append_locked(
        &self,
        guard: WriteGuard,
        drafts: Vec<Draft>,
        opts: AppendOptions,
    ) -> Result<Vec<Event>, JsValue> {
        self.check_open()?;
        let prepared = self.log.borrow().prepare(drafts, &opts, now_ms()).map_err(|e| to_js(&e))?;
        let results = prepared.results();
        if prepared.new_events.is_empty() {
            return Ok(results); // every draft repeated an idempotency key
        }
        self.persist(&prepared.new_events).await?;
        self.log.borrow_mut().commit_ref(&prepared).map_err(|e| to_js(&e))?;
        drop(guard);
        self.publish(&prepared.new_events, None);
        Ok(results)
    }

    /// Merges events from elsewhere. `persist`: write the newly applicable ones to storage
    /// (false when they come from another tab, which already wrote them to the shared
    /// database).
    pub async fn ingest(self: Rc<Self>, events: Vec<Event>, persist: bool) -> Result<Received, JsValue> {
        let guard = self.lock.lock().await;
        self.check_open()?;
        let prepared = self.log.borrow().prepare_receive(events).map_err(|e| to_js(&e))?;
        if persist && !prepared.ready.is_empty() {
            self.persist(&prepared.ready).await?;
        }
        let received = self.log.borrow_mut().commit_receive(prepared).map_err(|e| to_js(&e))?;
        drop(guard);
        self.publish(&received.applied, received.earliest);
        Ok(received)
    }

    /// Writes one batch (a no-op in memory) and tells the other tabs about it.
    async fn persist(&self, events: &[Event]) -> Result<(), JsValue> {
        let Some(store) = &self.store else { return Ok(()) };
        let bytes = batch::encode(events);
        let key = store.append(&bytes).await.map_err(|e| e.to_js())?;
        if let Some(t) = self.tabs.borrow().as_ref() {
            t.announce(key, &bytes);
        }
        Ok(())
    }

    /// Tells projections and subscribers about applied events (in causal order).
    /// `earliest`: the smallest order key among them when they may land before the end of
    /// the total order (remote events); `None` for local appends (always at the end).
    pub fn publish(&self, applied: &[Event], earliest: Option<OrderKey>) {
        if applied.is_empty() {
            return;
        }
        self.toolkit.on_applied(self, applied);
        let projections: Vec<Rc<ProjectionState>> = self.projections.borrow().clone();
        for p in projections {
            p.on_events(self, applied, earliest);
        }
        let observers: Vec<Rc<dyn Observer>> = {
            let mut list = self.observers.borrow_mut();
            list.retain(|o| o.strong_count() > 0);
            list.iter().filter_map(Weak::upgrade).collect()
        };
        for o in observers {
            o.on_events(self, applied);
        }
        let listeners: Vec<Function> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
        if listeners.is_empty() {
            return;
        }
        let arr = toolkit::events_to_js(self, &self.log.borrow(), applied.iter().map(Event::view));
        for f in listeners {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &arr) {
                report(&e);
            }
        }
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = reportError)]
    fn report_error(e: &JsValue);
}

/// A listener threw: report it like an uncaught error without breaking the others.
pub fn report(e: &JsValue) {
    report_error(e);
}
