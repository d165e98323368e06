//! IndexedDB's callbacks as futures.
//!
//! Each future wraps one `IDBRequest` or `IDBTransaction` in a `Promise`: a single
//! `FnOnce` closure is installed as both the success and the failure handler (only one of
//! them ever fires), so nothing leaks and nothing is called twice.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
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

/// The result of a request (its `success` event), or its `error`.
pub async fn request(req: &IdbRequest, doing: &'static str) -> Result<JsValue, IdbError> {
    let req2 = req.clone();
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
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
    });
    JsFuture::from(p).await.map_err(|e| IdbError::from_js(e, doing))
}

/// Waits for a transaction to commit (`complete`), or reports why it aborted.
pub async fn transaction_done(tx: &IdbTransaction, doing: &'static str) -> Result<(), IdbError> {
    let tx2 = tx.clone();
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
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
    });
    JsFuture::from(p).await.map(|_| ()).map_err(|e| IdbError::from_js(e, doing))
}
