//! Opening (and creating or upgrading) the database.
//!
//! The IndexedDB schema version ([`SCHEMA_VERSION`]) names the set of object stores; the
//! storage *format* version (the `format` meta record, [`FORMAT_VERSION`]) names how
//! records are encoded. Both are checked on open: a database written by a newer build
//! fails with a `StorageError` (`VersionError` for the schema, `FormatError` for the
//! format) instead of being misread.
//!
//! If another tab holds the database open at an older schema version and does not close
//! it, the upgrade is `blocked`: the open fails at once (on the `blocked` event, no timer)
//! with `StorageError` (`reason: "BlockedError"`) rather than hanging, and the old tab
//! keeps its data and its connection. The request itself cannot be cancelled: it stays
//! queued in the browser, and once the old tab closes the upgrade runs and the orphan
//! connection is closed at once, so a retry of the open then succeeds. Our own connections
//! close themselves on `versionchange`, so only an older build of the app can block.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbObjectStoreParameters, IdbOpenDbRequest, IdbVersionChangeEvent};

use super::request::IdbError;
use super::{BATCHES, META, SNAPSHOTS};

/// The IndexedDB version: which object stores exist.
pub const SCHEMA_VERSION: u32 = 1;
/// The encoding of stored records (see the module docs of [`super`]).
pub const FORMAT_VERSION: u8 = 1;
/// Meta key of the format version.
pub const FORMAT_KEY: &str = "format";

fn factory() -> Result<IdbFactory, IdbError> {
    Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
        .ok_or_else(|| IdbError::new("NotSupportedError", "IndexedDB is not available here"))
}

/// Opens `name` at `version` (always [`SCHEMA_VERSION`] outside tests, which simulate a
/// newer build with a higher one), creating or upgrading its object stores.
pub async fn open_db(name: &str, version: u32) -> Result<IdbDatabase, IdbError> {
    let req = factory()?.open_with_u32(name, version).map_err(|e| IdbError::from_js(e, "opening the database"))?;
    let settled = Rc::new(Cell::new(false));
    let mut handler: Option<Closure<dyn FnMut(web_sys::Event)>> = None;
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        let r = req.clone();
        let settled = settled.clone();
        let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let req = &r;
            let t = ev.type_();
            if t == "upgradeneeded" {
                if let Err(e) = upgrade(req, &ev) {
                    let _ = reject.call1(&JsValue::UNDEFINED, &e);
                    settled.set(true);
                }
                return;
            }
            if settled.get() {
                // A late success after `blocked`: nobody waits for this connection.
                if t == "success" {
                    if let Ok(db) = req.result() {
                        db.unchecked_into::<IdbDatabase>().close();
                    }
                }
                return;
            }
            settled.set(true);
            let _ = match t.as_str() {
                "success" => resolve.call1(&JsValue::UNDEFINED, &req.result().unwrap_or(JsValue::NULL)),
                "blocked" => {
                    let e = js_sys::Error::new(
                        "the database upgrade is blocked by another tab that keeps an older version open",
                    );
                    e.set_name("BlockedError");
                    reject.call1(&JsValue::UNDEFINED, &e)
                }
                _ => {
                    reject.call1(&JsValue::UNDEFINED, &req.error().ok().flatten().map_or(JsValue::NULL, JsValue::from))
                }
            };
        });
        let f: &Function = cb.as_ref().unchecked_ref();
        req.set_onsuccess(Some(f));
        req.set_onerror(Some(f));
        req.set_onblocked(Some(f));
        req.set_onupgradeneeded(Some(f));
        handler = Some(cb);
    });
    let out = JsFuture::from(p).await;
    if let Some(h) = handler {
        if out.is_err() {
            // Keep the handler alive: a late `success` must still close the connection.
            h.forget();
        }
    }
    let db: IdbDatabase = out.map_err(|e| IdbError::from_js(e, "opening the database"))?.unchecked_into();
    Ok(db)
}

/// Runs inside `upgradeneeded`: creates what versions before `SCHEMA_VERSION` lacked.
fn upgrade(req: &IdbOpenDbRequest, ev: &web_sys::Event) -> Result<(), JsValue> {
    let old = ev.dyn_ref::<IdbVersionChangeEvent>().map_or(0.0, |e| e.old_version());
    let db: IdbDatabase = req.result()?.unchecked_into();
    if old < 1.0 {
        let params = IdbObjectStoreParameters::new();
        params.set_auto_increment(true);
        db.create_object_store_with_optional_parameters(BATCHES, &params)?;
        db.create_object_store(SNAPSHOTS)?;
        let meta = db.create_object_store(META)?;
        meta.put_with_key(&Uint8Array::from(&[FORMAT_VERSION][..]), &FORMAT_KEY.into())?;
    }
    Ok(())
}

/// Deletes a database (tests and "reset" buttons). Fails with `BlockedError` while open elsewhere.
pub async fn delete_db(name: &str) -> Result<(), IdbError> {
    let req = factory()?.delete_database(name).map_err(|e| IdbError::from_js(e, "deleting the database"))?;
    let r: web_sys::IdbRequest = req.clone().unchecked_into();
    let req2 = req.clone();
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        let r = r.clone();
        let cb = Closure::once_into_js(move |ev: web_sys::Event| {
            let _ = match ev.type_().as_str() {
                "success" => resolve.call0(&JsValue::UNDEFINED),
                "blocked" => {
                    let e = js_sys::Error::new("the database is open in another tab");
                    e.set_name("BlockedError");
                    reject.call1(&JsValue::UNDEFINED, &e)
                }
                _ => reject.call1(&JsValue::UNDEFINED, &r.error().ok().flatten().map_or(JsValue::NULL, JsValue::from)),
            };
        });
        req2.set_onsuccess(Some(cb.unchecked_ref()));
        req2.set_onerror(Some(cb.unchecked_ref()));
        req2.set_onblocked(Some(cb.unchecked_ref()));
    });
    JsFuture::from(p).await.map(|_| ()).map_err(|e| IdbError::from_js(e, "deleting the database"))
}
