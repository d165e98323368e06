//! Panics on purpose, to test the panic path (feature `test-panic`, never in the package).
//!
//! A panic is a bug, so the shipped code has no input that triggers one; these exports let
//! `www/tests/panic.test.mjs` check what docs/wasm.md promises: the panic reaches JS as a
//! catchable `InternalError`, promises in flight reject with it, and every log then
//! refuses further use with a `ClosedError` whose `cause` is that `InternalError`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::event_log::EventLog;
use super::task::promise;

/// Panics in a synchronous call, with `message`.
#[wasm_bindgen(js_name = panicForTest)]
pub fn panic_for_test(message: String) {
    panic!("{message}");
}

/// Panics inside an async task holding `log`'s write lock (as a bug in the write path
/// would); the returned promise rejects with the `InternalError`.
#[wasm_bindgen(js_name = panicInTaskForTest)]
pub fn panic_in_task_for_test(log: &EventLog, message: String) -> Promise {
    let shared = log.shared.clone();
    promise(async move {
        let _guard = shared.lock.lock().await;
        let _log = shared.log.borrow_mut();
        panic!("{message}");
    })
}
