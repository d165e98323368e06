//! Promises for async methods, and the write lock that keeps writes in order.
//!
//! [`promise`] runs a Rust future on the page's microtask queue and returns a JS `Promise`.
//! It also records the promise's `reject` function while the future runs, so that the panic
//! hook (see [`super::errors`]) can reject every promise in flight with an `InternalError`
//! instead of leaving them pending forever.
//!
//! [`WriteLock`] serialises the writers of one log (local appends, events from other tabs,
//! sync messages): each one prepares a batch against the in-memory log, persists it, and
//! commits it; a second writer must not prepare against a state the first is about to
//! change. It is a FIFO ticket lock: whoever asked first writes first.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::errors;

// The maps here are short lists (the promises and writers in flight): a hash map instance
// per key type, with std's SipHash, costs the package several KB (docs/size.md).
thread_local! {
    static IN_FLIGHT: RefCell<Vec<(u32, Function)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// Runs `fut` and returns a promise of its result. Rejects at once when the module is poisoned.
pub fn promise<F>(fut: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    promise_boxed(Box::pin(fut))
}

/// [`promise`] for a boxed future: one copy of this code for every async method, not one
/// per future type (the package's size, docs/size.md).
#[inline(never)]
fn promise_boxed(fut: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    if let Err(e) = errors::check_poison() {
        return Promise::reject(&e);
    }
    let mut parts: Option<(Function, Function)> = None;
    let p = Promise::new(&mut |resolve, reject| parts = Some((resolve, reject)));
    let Some((resolve, reject)) = parts else { return p };
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    IN_FLIGHT.with(|m| m.borrow_mut().push((id, reject.clone())));
    spawn_local(async move {
        let r = fut.await;
        IN_FLIGHT.with(|m| m.borrow_mut().retain(|(i, _)| *i != id));
        // Calling resolve/reject of a fresh promise cannot throw.
        let _ = match r {
            Ok(v) => resolve.call1(&JsValue::UNDEFINED, &v),
            Err(e) => reject.call1(&JsValue::UNDEFINED, &e),
        };
    });
    p
}

/// Rejects every promise in flight (called by the panic hook).
pub fn reject_all(err: &JsValue) {
    let all: Vec<Function> =
        IN_FLIGHT.with(|m| m.try_borrow_mut().map(|mut m| m.drain(..).map(|(_, f)| f).collect())).unwrap_or_default();
    for f in all {
        let _ = f.call1(&JsValue::UNDEFINED, err);
    }
}

/// A FIFO async lock (single-threaded). Futures waiting for it must be run to completion
/// (they are: every writer runs inside [`promise`] or a spawned task).
#[derive(Default)]
pub struct WriteLock {
    next_ticket: Cell<u64>,
    serving: Cell<u64>,
    wakers: RefCell<Vec<(u64, Waker)>>,
}

impl WriteLock {
    pub fn new() -> Rc<Self> {
        Rc::new(WriteLock::default())
    }

    /// Waits for the lock; it is held until the returned guard is dropped.
    pub fn lock(self: &Rc<Self>) -> Acquire {
        let ticket = self.next_ticket.get();
        self.next_ticket.set(ticket + 1);
        Acquire { lock: self.clone(), ticket }
    }
}

pub struct Acquire {
    lock: Rc<WriteLock>,
    ticket: u64,
}

impl Future for Acquire {
    type Output = WriteGuard;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WriteGuard> {
        if self.lock.serving.get() == self.ticket {
            Poll::Ready(WriteGuard { lock: self.lock.clone() })
        } else {
            let mut wakers = self.lock.wakers.borrow_mut();
            wakers.retain(|(t, _)| *t != self.ticket);
            wakers.push((self.ticket, cx.waker().clone()));
            Poll::Pending
        }
    }
}

pub struct WriteGuard {
    lock: Rc<WriteLock>,
}

impl Drop for WriteGuard {
    fn drop(&mut self) {
        let next = self.lock.serving.get() + 1;
        self.lock.serving.set(next);
        let waker = {
            let mut wakers = self.lock.wakers.borrow_mut();
            wakers.iter().position(|(t, _)| *t == next).map(|i| wakers.swap_remove(i).1)
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}
