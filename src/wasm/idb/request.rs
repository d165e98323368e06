//! IndexedDB's callbacks as promises (awaited through `IdbStore::settle`).
//!
//! Each promise wraps one `IDBRequest` or `IDBTransaction`: a single
//! `FnOnce` closure is installed as both the success and the failure handler (only one of
//! them ever fires), so nothing leaks and nothing is called twice.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{IdbRequest, IdbTransaction};

use crate::core::StorageError;
use crate::wasm::errors::storage_from_js;

/// A storage failure and the JS value (usually a DOMException) behind it.
#[derive(Debug, Clone)]
pub struct IdbError {
    pub error: StorageError,
    pub cause: JsValue,
}

impl IdbError {
    pub fn from_js(v: JsValue, doing: &str) -> Self {
        IdbError { error: storage_from_js(&v, doing), cause: v }
    }

    pub fn new(name: &str, message: &str) -> Self {
        IdbError { error: StorageError::new(name, message), cause: JsValue::UNDEFINED }
    }

    pub fn to_js(&self) -> JsValue {
        crate::wasm::errors::storage_to_js(&self.error, &self.cause)
    }
}

/// The result of a request (its `success` event), or its `error`. (The store itself
/// waits through `IdbStore::settle`, which also watches for a lost connection.)
#[cfg(test)]
pub async fn request(req: &IdbRequest, doing: &'static str) -> Result<JsValue, IdbError> {
    wasm_bindgen_futures::JsFuture::from(request_promise(req)).await.map_err(|e| IdbError::from_js(e, doing))
}

/// A promise of the request's result (rejects with its `error`).
pub fn request_promise(req: &IdbRequest) -> Promise {
    let req2 = req.clone();
    Promise::new(&mut |resolve: Function, reject: Function| {
        let r = req2.clone();
        let cb = Closure::once_into_js(move |ev: web_sys::Event| {
            let _ = if ev.type_() == "success" {
                resolve.call1(&JsValue::UNDEFINED, &r.result().unwrap_or(JsValue::UNDEFINED))
            } else {
                reject.call1(&JsValue::UNDEFINED, &r.error().ok().flatten().map_or(JsValue::NULL, JsValue::from))
            };
        });
        req2.set_onsuccess(Some(cb.unchecked_ref()));
        req2.set_onerror(Some(cb.unchecked_ref()));
    })
}

/// A promise that resolves (with `undefined`) when the transaction commits (`complete`)
/// and rejects with the reason when it aborts.
pub fn transaction_promise(tx: &IdbTransaction) -> Promise {
    let tx2 = tx.clone();
    Promise::new(&mut |resolve: Function, reject: Function| {
        let t = tx2.clone();
        let cb = Closure::once_into_js(move |ev: web_sys::Event| {
            let _ = if ev.type_() == "complete" {
                resolve.call0(&JsValue::UNDEFINED)
            } else {
                // `error` is null when the transaction was aborted explicitly.
                let err = t.error().map(JsValue::from).unwrap_or_else(|| {
                    let e = js_sys::Error::new("the transaction was aborted");
                    e.set_name("AbortError");
                    e.into()
                });
                reject.call1(&JsValue::UNDEFINED, &err)
            };
        });
        tx2.set_oncomplete(Some(cb.unchecked_ref()));
        tx2.set_onabort(Some(cb.unchecked_ref()));
    })
}
