//! Errors as JavaScript sees them.
//!
//! Every failure reaches JS as an instance of one of the classes in `js/errors.js`
//! (`ConcurrencyError`, `StorageError`, `DecodeError`, `InvalidEventError`, `ClosedError`,
//! `InternalError`, all subclasses of `EverlogError` and `Error`), with a stable `name` and
//! `code` (the same code as [`crate::core::Error::code`]). The classes are real JS classes,
//! defined in JS so that `instanceof` works, and the package re-exports them.
//!
//! Wrong argument *shapes* (a number where a filter object belongs) are `TypeError`s, as in
//! any JS API; wrong *events* are `InvalidEventError`s.
//!
//! # Panics
//! A Rust panic is a bug. The panic hook installed at start-up records the message, marks
//! the module as poisoned, rejects every promise still in flight with an `InternalError`,
//! and throws an `InternalError` to the caller. Afterwards every `EventLog` method throws
//! (or rejects with) a `ClosedError` whose `cause` is that `InternalError`: the log is
//! **unusable** after a panic, because the unwound Rust state (borrow flags, half-applied
//! in-memory updates) cannot be trusted. Data already committed to IndexedDB is intact;
//! reload the page (or open the log again in a fresh module instance) to continue.

use std::cell::RefCell;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::{Error, ExpectedVersion, StorageError};

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(kind: &str, message: &str, details: &JsValue, cause: &JsValue) -> JsValue;
}

thread_local! {
    /// The panic message, once a panic happened: the module is poisoned from then on.
    static POISON: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The JS error for a core error.
pub fn to_js(err: &Error) -> JsValue {
    let details = Object::new();
    match err {
        Error::Concurrency { stream, expected, current } => {
            set(&details, "stream", &JsValue::from_str(stream));
            set(&details, "expectedVersion", &expected_to_js(expected));
            set(&details, "currentVersion", &JsValue::from_f64(*current as f64));
        }
        Error::Storage(s) => set(&details, "reason", &JsValue::from_str(&s.name)),
        _ => {}
    }
    make_error(err.code(), &err.to_string(), &details, &JsValue::UNDEFINED)
}

/// The JS error for a toolkit failure: the core's own errors as usual; unreadable stored
/// progress and a malformed CloudEvents line are `DecodeError`s; an unknown event named
/// by `revert` or an unexportable event is an `InvalidEventError`; a handler name reused
/// with other types or a decision outside its stream is a `TypeError` (a usage mistake).
pub fn toolkit_to_js(err: &crate::toolkit::ToolkitError) -> JsValue {
    use crate::toolkit::ToolkitError as T;
    let msg = err.to_string();
    let kind = match err {
        T::Log(e) => return to_js(e),
        T::Decode(_) | T::Import { .. } => "DECODE",
        T::UnknownEvent(_) | T::TimeOutOfRange { .. } => "INVALID_EVENT",
        T::NotInBatch(_) | T::FilterChanged { .. } | T::DraftOutsideStream { .. } => return type_error(&msg),
    };
    make_error(kind, &msg, &Object::new(), &JsValue::UNDEFINED)
}

/// The JS error for a storage failure, keeping the original DOMException as `cause`.
pub fn storage_to_js(err: &StorageError, cause: &JsValue) -> JsValue {
    let details = Object::new();
    set(&details, "reason", &JsValue::from_str(&err.name));
    let msg = Error::Storage(err.clone()).to_string();
    make_error("STORAGE", &msg, &details, cause)
}

/// A `ClosedError` (after `close()`, or with the panic as cause when poisoned).
pub fn closed() -> JsValue {
    match poison_message() {
        Some(msg) => {
            let cause = make_error("INTERNAL", &msg, &JsValue::UNDEFINED, &JsValue::UNDEFINED);
            make_error("CLOSED", &format!("everlog is unusable after an internal error: {msg}"), &Object::new(), &cause)
        }
        None => to_js(&Error::Closed),
    }
}

/// A `ClosedError` for a log whose database connection was closed under it (another tab
/// upgraded or deleted the database, or the browser closed it): `cause` is the
/// `StorageError` saying which.
pub fn closed_by_storage(lost: &StorageError, cause: &JsValue) -> JsValue {
    let storage = storage_to_js(lost, cause);
    let msg = format!("the log was closed because its database went away: {}", lost.message);
    make_error("CLOSED", &msg, &Object::new(), &storage)
}

/// A `TypeError` for an argument of the wrong shape.
pub fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// Turns a thrown JS value (usually a DOMException) into a [`StorageError`], keeping its name.
pub fn storage_from_js(v: &JsValue, doing: &str) -> StorageError {
    let name =
        Reflect::get(v, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_else(|| "UnknownError".into());
    let message = Reflect::get(v, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| v.as_string())
        .unwrap_or_default();
    let message = if message.is_empty() { doing.to_string() } else { format!("{doing}: {message}") };
    StorageError::new(name, message)
}

fn expected_to_js(e: &ExpectedVersion) -> JsValue {
    match e {
        ExpectedVersion::Any => "any".into(),
        ExpectedVersion::NoStream => "no-stream".into(),
        ExpectedVersion::Exact(n) => JsValue::from_f64(*n as f64),
    }
}

fn set(o: &Object, k: &str, v: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

/// The panic message if the module is poisoned.
pub fn poison_message() -> Option<String> {
    POISON.with(|p| p.try_borrow().ok().and_then(|p| p.clone()))
}

/// Fails with a `ClosedError` when a panic poisoned the module.
pub fn check_poison() -> Result<(), JsValue> {
    match poison_message() {
        Some(_) => Err(closed()),
        None => Ok(()),
    }
}

/// Installs the panic hook (idempotent; called from the module's start function).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        POISON.with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                p.get_or_insert(msg.clone());
            }
        });
        let err = make_error("INTERNAL", &msg, &JsValue::UNDEFINED, &JsValue::UNDEFINED);
        super::task::reject_all(&err);
        // Throwing unwinds the wasm stack without running destructors (the module is
        // poisoned anyway) and hands the caller a catchable error instead of `unreachable`.
        wasm_bindgen::throw_val(err);
    }));
}
