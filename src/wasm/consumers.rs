//! `log.on(types, handler, { name })`: named handlers, run once per event per device.
//!
//! The pure half is the toolkit's [`Consumer`] (progress as a version vector, causal
//! order, failures with backoff; see `src/toolkit/consumer.rs`). This file drives it:
//!
//! - **One tab at a time.** Every tab of a device shares one IndexedDB database, so a
//!   name's progress is per device. A [`Runner`] runs only while it holds the Web Lock
//!   `everlog:<log>:consumer:<name>`; the same handler registered in another tab waits
//!   for that lock and takes over when the holder closes the log, stops the handler or the
//!   tab goes away. On taking the lock it reads the progress *from IndexedDB* (the last
//!   holder saved it there), never from memory.
//! - **Durable progress.** After each handled event (and after skipped ones, per batch)
//!   the progress is written to the meta record `everlog.consumer.<name>` before the next
//!   handler call, so a reload, replay or projection rebuild never runs a handler again for
//!   an event it finished. A crash between a handler's effect and that write runs it again
//!   (at-least-once): the event id is the idempotency key.
//! - **Failures.** A handler that throws or whose promise rejects is reported (`onError`,
//!   else `reportError`) and retried with backoff; its causal successors wait, everything
//!   else (other handlers, concurrent events) goes on.
//! - **What wakes it**: taking the lock, every applied event (local, other tab, sync,
//!   import), a retry timer, and `idle()`. Folds and replays never do.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::errors::{check_poison, toolkit_to_js, type_error};
use super::event_log::EventLog;
use super::shared::{now_ms, report, Shared};
use super::toolkit::shaped_event_to_js;
use crate::core::Event;
use crate::toolkit::{Consumer, RetryPolicy};

#[wasm_bindgen(module = "/js/consumers.js")]
extern "C" {
    #[wasm_bindgen(js_name = holdLock)]
    fn hold_lock(name: &str, on_held: JsValue, on_waiting: JsValue) -> Function;
    fn later(ms: f64, f: JsValue) -> JsValue;
    fn cancel(id: &JsValue);
}

/// Events handed to the handler per batch (progress is saved between batches too).
const BATCH: usize = 100;

/// One registered handler.
pub struct Runner {
    name: String,
    types: Vec<String>,
    handler: Function,
    on_error: Option<Function>,
    policy: RetryPolicy,
    shared: Weak<Shared>,
    /// `Some` while active: the lock is held and the progress loaded.
    consumer: RefCell<Option<Consumer>>,
    stopped: Cell<bool>,
    /// Another tab holds the lock (this one takes over when it is released).
    waiting: Cell<bool>,
    running: Cell<bool>,
    again: Cell<bool>,
    release: RefCell<Option<Function>>,
    /// The pending retry timer: (when, timeout id).
    timer: RefCell<Option<(u64, JsValue)>>,
    /// `idle()` promises to resolve when the current drain ends.
    idle: RefCell<Vec<Function>>,
}

impl Runner {
    fn lock_name(&self, log: &str) -> String {
        format!("everlog:{log}:consumer:{}", self.name)
    }

    /// Runs a drain soon (no-op while waiting for the lock or stopped).
    pub fn wake(self: &Rc<Self>) {
        if self.consumer.borrow().is_some() && !self.stopped.get() {
            spawn_local(self.clone().drain());
        }
    }

    /// Stops for good; releases the lock (after the handler call in flight, if any).
    pub fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        if let Some((_, t)) = self.timer.borrow_mut().take() {
            cancel(&t);
        }
        if let Some(s) = self.shared.upgrade() {
            s.toolkit.consumers.borrow_mut().retain(|r| !std::ptr::eq(&**r, self));
        }
        if !self.running.get() {
            self.finish();
        }
    }

    fn finish(&self) {
        if let Some(r) = self.release.borrow_mut().take() {
            let _ = r.call0(&JsValue::UNDEFINED);
        }
        self.consumer.borrow_mut().take();
        self.resolve_idle();
    }

    fn resolve_idle(&self) {
        let waiters: Vec<Function> = self.idle.borrow_mut().drain(..).collect();
        for f in waiters {
            let _ = f.call0(&JsValue::UNDEFINED);
        }
    }

    /// Another tab runs this handler: nothing to wait for here.
    fn set_waiting(&self) {
        self.waiting.set(true);
        self.resolve_idle();
    }

    /// The lock is ours: load the stored progress, then drain.
    async fn activate(self: Rc<Self>) {
        self.waiting.set(false);
        if self.stopped.get() {
            return;
        }
        let Some(shared) = self.shared.upgrade() else { return };
        let stored = match &shared.store {
            Some(store) => match store.get_meta(&Consumer::meta_key(&self.name)).await {
                Ok(v) => v,
                Err(e) => return self.give_up(e.to_js()),
            },
            None => None,
        };
        match Consumer::resume(&self.name, self.types.clone(), stored.as_deref()) {
            Ok(c) => *self.consumer.borrow_mut() = Some(c.with_policy(self.policy.clone())),
            Err(e) => return self.give_up(toolkit_to_js(&e)),
        }
        self.drain().await;
    }

    /// A registration that cannot run (stored progress made with other types, storage
    /// failure): reported, then stopped.
    fn give_up(&self, err: JsValue) {
        self.report(&err, None, 0, 0.0);
        self.stop();
    }

    fn report(&self, err: &JsValue, event: Option<JsValue>, attempts: u32, retry_at: f64) {
        let Some(f) = &self.on_error else { return report(err) };
        let info = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&info, &k.into(), v);
        let _ = set("name", &self.name.as_str().into());
        let _ = set("event", &event.unwrap_or(JsValue::UNDEFINED));
        let _ = set("attempts", &attempts.into());
        let _ = set("retryAt", &retry_at.into());
        if let Err(e) = f.call2(&JsValue::UNDEFINED, err, &info) {
            report(&e);
        }
    }

    /// Hands every eligible event to the handler; one drain at a time per runner.
    async fn drain(self: Rc<Self>) {
        if self.running.replace(true) {
            self.again.set(true);
            return;
        }
        loop {
            self.again.set(false);
            if let Err(e) = self.clone().step().await {
                report(&e); // storage failed: the progress is retried on the next wake
            }
            if !self.again.get() || self.stopped.get() {
                break;
            }
        }
        self.running.set(false);
        if self.stopped.get() {
            return self.finish();
        }
        self.schedule_retry();
        if self.consumer.borrow().is_some() {
            self.resolve_idle();
        }
    }

    /// Batches until nothing is eligible.
    async fn step(self: Rc<Self>) -> Result<(), JsValue> {
        loop {
            let Some(shared) = self.shared.upgrade() else { return Ok(()) };
            if shared.closed.get() || self.stopped.get() || check_poison().is_err() {
                return Ok(());
            }
            let batch = {
                let log = shared.log.borrow();
                let up = shared.toolkit.upcasters.borrow();
                let mut c = self.consumer.borrow_mut();
                let Some(c) = c.as_mut() else { return Ok(()) };
                c.next_batch(&log, now_ms(), BATCH, Some(&up))
            };
            self.save(&shared).await?;
            if batch.is_empty() {
                return Ok(());
            }
            for e in batch {
                if self.stopped.get() || shared.closed.get() {
                    return Ok(());
                }
                if !self.handle(&shared, &e).await {
                    self.save(&shared).await?;
                    break;
                }
                self.save(&shared).await?;
            }
        }
    }

    /// Calls the handler on one event; false when it failed (recorded and reported).
    async fn handle(&self, shared: &Shared, e: &Event) -> bool {
        let js = shaped_event_to_js(shared, &shared.log.borrow(), e);
        let r = match self.handler.call1(&JsValue::UNDEFINED, &js) {
            Ok(v) => JsFuture::from(Promise::resolve(&v)).await,
            Err(err) => Err(err),
        };
        let failure = {
            let mut c = self.consumer.borrow_mut();
            let Some(c) = c.as_mut() else { return false };
            match r {
                Ok(_) => return c.ack(&e.id).is_ok(),
                Err(err) => c.fail(&e.id, &message(&err), now_ms()).map(|f| (err, f)),
            }
        };
        if let Ok((err, f)) = failure {
            self.report(&err, Some(js), f.attempts, f.retry_at as f64);
        }
        false
    }

    /// Writes the progress if it changed (memory logs keep it in memory only).
    async fn save(&self, shared: &Shared) -> Result<(), JsValue> {
        let bytes = {
            let mut c = self.consumer.borrow_mut();
            match c.as_mut() {
                Some(c) if c.is_dirty() => {
                    c.mark_saved();
                    c.encode()
                }
                _ => return Ok(()),
            }
        };
        let Some(store) = &shared.store else { return Ok(()) };
        if shared.closed.get() {
            return Ok(());
        }
        store.put_meta(&Consumer::meta_key(&self.name), &bytes).await.map_err(|e| {
            // Not saved: mark it dirty again so the next save writes it.
            if let Some(c) = self.consumer.borrow_mut().as_mut() {
                c.mark_dirty();
            }
            e.to_js()
        })
    }

    /// Wakes up when the earliest failed event may be retried (keeps a timer already set
    /// for that time: a cancelled timer's closure would never be freed).
    fn schedule_retry(self: &Rc<Self>) {
        let at = self.consumer.borrow().as_ref().and_then(Consumer::next_retry_at);
        if self.timer.borrow().as_ref().map(|(t, _)| *t) == at {
            return;
        }
        if let Some((_, t)) = self.timer.borrow_mut().take() {
            cancel(&t);
        }
        let Some(at) = at else { return };
        let me = Rc::downgrade(self);
        let f = Closure::once_into_js(move || {
            if let Some(me) = me.upgrade() {
                me.timer.borrow_mut().take();
                me.wake();
            }
        });
        *self.timer.borrow_mut() = Some((at, later(at.saturating_sub(now_ms()) as f64, f)));
    }
}

/// The text of a thrown value, for the stored failure record.
fn message(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    err.as_string().unwrap_or_else(|| "a non-Error value was thrown".to_owned())
}

/// The JavaScript handle of a registered handler (returned by `log.on`).
#[wasm_bindgen(js_name = Consumer, skip_typescript)]
pub struct JsConsumer {
    runner: Rc<Runner>,
}

#[wasm_bindgen(js_class = Consumer)]
impl JsConsumer {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.runner.name.clone()
    }

    /// True while this tab holds the handler's lock (and runs it).
    #[wasm_bindgen(getter)]
    pub fn active(&self) -> bool {
        self.runner.consumer.borrow().is_some() && !self.runner.stopped.get()
    }

    /// Stops the handler (in this tab); another tab waiting for it takes over.
    pub fn stop(&self) {
        self.runner.stop();
    }

    /// Resolves once every event that can run now has run and its progress is stored
    /// (failed events waiting for a retry do not count). At once when stopped or when
    /// another tab runs the handler; after taking the lock and draining when this tab is
    /// about to get it.
    pub fn idle(&self) -> Promise {
        let r = self.runner.clone();
        Promise::new(&mut |resolve, _| {
            if r.stopped.get() || r.waiting.get() {
                let _ = resolve.call0(&JsValue::UNDEFINED);
                return;
            }
            r.idle.borrow_mut().push(resolve);
            if r.consumer.borrow().is_some() {
                spawn_local(r.clone().drain());
            } // else: activation drains, then resolves
        })
    }
}

fn types_from_js(v: &JsValue) -> Result<Vec<String>, JsValue> {
    if let Some(s) = v.as_string() {
        return Ok(vec![s]);
    }
    if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        return arr.iter().map(|t| t.as_string().ok_or_else(|| type_error("on: types must be strings"))).collect();
    }
    Err(type_error("on: types must be a type name or an array of them ([] for every type)"))
}

fn retry_from_js(v: &JsValue) -> Result<RetryPolicy, JsValue> {
    let mut p = RetryPolicy::default();
    if v.is_undefined() || v.is_null() {
        return Ok(p);
    }
    for (k, slot) in [("baseMs", &mut p.base_ms), ("maxMs", &mut p.max_ms)] {
        let x = Reflect::get(v, &k.into())?;
        if let Some(n) = x.as_f64().filter(|n| *n >= 0.0 && n.is_finite()) {
            *slot = n as u64;
        } else if !x.is_undefined() {
            return Err(type_error(&format!("on: retry.{k} must be a non-negative number")));
        }
    }
    // A zero delay would retry a failing handler in a loop that never yields.
    p.base_ms = p.base_ms.max(1);
    Ok(p)
}

#[wasm_bindgen]
impl EventLog {
    /// `on(types, handler, { name, onError?, retry? })`: runs `handler(event)` once per
    /// event per device, in causal order (see the module docs). Returns a `Consumer`.
    pub fn on(&self, types: JsValue, handler: JsValue, options: JsValue) -> Result<JsConsumer, JsValue> {
        self.shared.check_open()?;
        let handler: Function = handler.dyn_into().map_err(|_| type_error("on: the handler must be a function"))?;
        if !options.is_object() {
            return Err(type_error("on: options { name } are required"));
        }
        let get = |k: &str| Reflect::get(&options, &k.into());
        let name = get("name")?.as_string().filter(|n| !n.is_empty());
        let name = name.ok_or_else(|| type_error("on: options.name must be a non-empty string"))?;
        let on_error = match get("onError")? {
            v if v.is_undefined() => None,
            v => Some(v.dyn_into::<Function>().map_err(|_| type_error("on: options.onError must be a function"))?),
        };
        let runner = Rc::new(Runner {
            name,
            types: types_from_js(&types)?,
            handler,
            on_error,
            policy: retry_from_js(&get("retry")?)?,
            shared: Rc::downgrade(&self.shared),
            consumer: RefCell::new(None),
            stopped: Cell::new(false),
            waiting: Cell::new(false),
            running: Cell::new(false),
            again: Cell::new(false),
            release: RefCell::new(None),
            timer: RefCell::new(None),
            idle: RefCell::new(Vec::new()),
        });
        self.shared.toolkit.consumers.borrow_mut().push(runner.clone());
        if self.shared.store.is_some() {
            let r = runner.clone();
            let on_held = Closure::once_into_js(move || spawn_local(r.activate()));
            let w = Rc::downgrade(&runner);
            let on_waiting = Closure::once_into_js(move || {
                if let Some(r) = w.upgrade() {
                    r.set_waiting();
                }
            });
            let release = hold_lock(&runner.lock_name(&self.shared.name), on_held, on_waiting);
            *runner.release.borrow_mut() = Some(release);
        } else {
            // A memory log belongs to this tab alone: nothing to share, nothing to store.
            spawn_local(runner.clone().activate());
        }
        Ok(JsConsumer { runner })
    }
}
