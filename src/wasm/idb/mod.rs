//! IndexedDB storage (browser only).
//!
//! # Layout
//! One database per log, named `everlog:<name>`, with three object stores:
//!
//! | store       | key                          | value                                   |
//! |-------------|------------------------------|-----------------------------------------|
//! | `batches`   | auto-increment number        | `Uint8Array`: one encoded batch         |
//! | `snapshots` | projection name (string)     | `Uint8Array`: an encoded snapshot       |
//! | `meta`      | string (`format`, `actor:N`) | `Uint8Array`                            |
//!
//! One record per batch, not per event: an append of 1,000 events is one `add` in one
//! transaction, and opening reads every batch with one `getAll` (plus one `getAllKeys`),
//! not a cursor step per event. Keys grow in commit order (readwrite transactions on one
//! store are serialised), so "the batches I have not seen" is a key range: `getAll` over
//! `lowerBound(lastSeen, open)`. Tabs use that to catch up (see `tabs.rs`).
//!
//! # Guarantees
//! - `append` resolves only after the transaction's `complete` event (with
//!   `durability: "strict"`, after the data reached the disk); a failed transaction
//!   (quota, abort, closed connection) leaves no record behind and rejects with a
//!   `StorageError` carrying the DOMException name.
//! - The format version (meta `format`) and the schema version are checked on open.
//! - When another tab upgrades or deletes the database, or the browser closes the
//!   connection, the store records why ([`IdbStore::lost`]); the log then refuses further
//!   use with a `ClosedError` whose `cause` is a `StorageError` with that reason.

mod open;
mod request;
mod storage;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbKeyRange, IdbObjectStore, IdbRequest, IdbTransaction, IdbVersionChangeEvent};

pub use open::delete_db;
use open::{FORMAT_KEY, FORMAT_VERSION};
pub use request::IdbError;
use request::{request_promise, transaction_promise};

pub(crate) const BATCHES: &str = "batches";
pub(crate) const SNAPSHOTS: &str = "snapshots";
pub(crate) const META: &str = "meta";

#[wasm_bindgen]
extern "C" {
    /// `IDBDatabase`, seen through the one overload web-sys gates behind its unstable-API
    /// flag: `transaction(stores, mode, { durability })`.
    #[wasm_bindgen(extends = IdbDatabase)]
    type DbWithOptions;
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_options(
        this: &DbWithOptions,
        stores: &JsValue,
        mode: &JsValue,
        options: &JsValue,
    ) -> Result<IdbTransaction, JsValue>;

    /// `IDBTransaction` with `objectStore(name)` taking a JS string already made (no
    /// UTF-8 decoding per call) and `commit()` (web-sys marks it deprecated).
    #[wasm_bindgen(extends = IdbTransaction)]
    type Tx;
    #[wasm_bindgen(method, catch, js_name = objectStore)]
    fn object_store_js(this: &Tx, name: &JsValue) -> Result<IdbObjectStore, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn commit(this: &Tx) -> Result<(), JsValue>;
}

/// JS strings and arrays the write path passes on every append, made once.
struct Names {
    readwrite: JsValue,
    batches: JsValue,
    batches_scope: JsValue,
}

impl Names {
    fn new() -> Self {
        let batches = JsValue::from_str(BATCHES);
        Names { readwrite: "readwrite".into(), batches_scope: Array::of1(&batches).into(), batches }
    }
}

/// What a log's database holds, read in one transaction.
#[derive(Default, Debug)]
pub struct Loaded {
    /// `(key, encoded batch)` in key (= commit) order.
    pub batches: Vec<(f64, Vec<u8>)>,
    pub snapshots: Vec<(String, Vec<u8>)>,
    pub meta: Vec<(String, Vec<u8>)>,
}

type Hook = Box<dyn Fn()>;

/// Why the connection was lost, and who to tell when it is (once).
#[derive(Clone, Default)]
struct Lost {
    why: Rc<RefCell<Option<IdbError>>>,
    hook: Rc<RefCell<Option<Hook>>>,
}

impl Lost {
    /// Records the first reason and tells the hook (later reasons are dropped).
    fn set(&self, why: IdbError) {
        let first = {
            let mut w = self.why.borrow_mut();
            let first = w.is_none();
            w.get_or_insert(why);
            first
        };
        if first {
            if let Some(hook) = self.hook.borrow().as_ref() {
                hook();
            }
        }
    }
}

/// An open IndexedDB database holding one log.
pub struct IdbStore {
    db: IdbDatabase,
    write_options: JsValue,
    /// Set when the connection was closed (by us, by a `versionchange`, or by the browser).
    closed: Rc<Cell<bool>>,
    /// Set when it was closed by someone else (see [`IdbStore::lost`]).
    lost: Lost,
    /// Resolves with `dropped_marker` on the `close` event (see [`IdbStore::settle`]).
    dropped: Promise,
    dropped_marker: JsValue,
    names: Names,
}

impl IdbStore {
    /// The database name of the log `name`.
    pub fn db_name(name: &str) -> String {
        format!("everlog:{name}")
    }

    /// Opens (or creates) the database of log `name`. `strict`: the durability of writes.
    pub async fn open(name: &str, strict: bool) -> Result<IdbStore, IdbError> {
        Self::open_version(name, strict, open::SCHEMA_VERSION).await
    }

    /// [`IdbStore::open`] at an explicit schema version (tests simulate a newer build).
    pub(crate) async fn open_version(name: &str, strict: bool, version: u32) -> Result<IdbStore, IdbError> {
        let db = open::open_db(&Self::db_name(name), version).await?;
        let closed = Rc::new(Cell::new(false));
        let lost = Lost::default();
        // Another tab wants to upgrade or delete the database: step aside (a transaction
        // already running still commits: `close()` waits for it), and remember why.
        let (db2, c2, l2) = (db.clone(), closed.clone(), lost.clone());
        let on_change = Closure::<dyn FnMut(IdbVersionChangeEvent)>::new(move |ev: IdbVersionChangeEvent| {
            c2.set(true);
            db2.close();
            let why = match ev.new_version() {
                None => IdbError::new("DeletedError", "another tab deleted the database"),
                Some(v) => IdbError::new(
                    "VersionChangeError",
                    &format!(
                        "another tab upgraded the database to version {} (a newer build of the app: reload)",
                        v as u64
                    ),
                ),
            };
            l2.set(why);
        });
        db.set_onversionchange(Some(on_change.as_ref().unchecked_ref()));
        // `close` fires only when the browser closes the connection itself (site data
        // cleared, storage failure), after aborting the transactions in flight (all but
        // the ones it never settles: see `settle`).
        let (c3, l3) = (closed.clone(), lost.clone());
        let dropped_marker: JsValue = Object::new().into();
        let mut resolve_dropped: Option<Function> = None;
        let dropped = Promise::new(&mut |resolve, _| resolve_dropped = Some(resolve));
        let marker = dropped_marker.clone();
        let on_close = Closure::<dyn FnMut()>::new(move || {
            c3.set(true);
            let why = IdbError::new(
                "ConnectionLostError",
                "the browser closed the database connection (site data cleared or a storage failure)",
            );
            l3.set(why);
            if let Some(resolve) = &resolve_dropped {
                let _ = resolve.call1(&JsValue::UNDEFINED, &marker);
            }
        });
        db.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The handlers live as long as the connection; the page keeps few of them.
        on_change.forget();
        on_close.forget();
        let write_options = Object::new();
        let _ = Reflect::set(&write_options, &"durability".into(), &(if strict { "strict" } else { "relaxed" }).into());
        let names = Names::new();
        let store = IdbStore { db, write_options: write_options.into(), closed, lost, dropped, dropped_marker, names };
        store.check_format().await?;
        Ok(store)
    }

    /// Why the connection went away without [`IdbStore::close`]: another tab upgraded
    /// (`VersionChangeError`) or deleted (`DeletedError`) the database, or the browser
    /// closed it (`ConnectionLostError`). `None` while open or after our own `close`.
    pub fn lost(&self) -> Option<IdbError> {
        self.lost.why.borrow().clone()
    }

    /// Calls `hook` when the connection is lost ([`IdbStore::lost`] then says why), from
    /// the browser's event or from the call that found out; once.
    pub fn on_lost(&self, hook: Hook) {
        *self.lost.hook.borrow_mut() = Some(hook);
    }

    async fn check_format(&self) -> Result<(), IdbError> {
        let tx = self.tx(&[META], "readonly")?;
        let v = self
            .request(
                &store(&tx, META)?.get(&FORMAT_KEY.into()).map_err(js("reading the format"))?,
                "reading the format",
            )
            .await?;
        let format = v.dyn_ref::<Uint8Array>().filter(|a| a.length() == 1).map(|a| a.get_index(0));
        match format {
            Some(f) if f <= FORMAT_VERSION => Ok(()),
            Some(f) => Err(IdbError::new(
                "FormatError",
                &format!("the database has storage format {f}; this build reads up to {FORMAT_VERSION}"),
            )),
            None => Err(IdbError::new("FormatError", "the database has no readable format record")),
        }
    }

    fn tx(&self, stores: &[&str], mode: &str) -> Result<IdbTransaction, IdbError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        self.tx_js(&names, &JsValue::from_str(mode), mode == "readwrite")
    }

    /// [`IdbStore::tx`] with the scope and mode as JS values (the append path reuses them).
    fn tx_js(&self, scope: &JsValue, mode: &JsValue, write: bool) -> Result<IdbTransaction, IdbError> {
        if self.closed.get() {
            return Err(IdbError::new("InvalidStateError", "the database connection is closed"));
        }
        let db: &DbWithOptions = self.db.unchecked_ref();
        let options = if write { &self.write_options } else { &JsValue::UNDEFINED };
        let r = db.transaction_with_options(scope, mode, options);
        r.map_err(|e| {
            let err = IdbError::from_js(e, "starting a transaction");
            if err.error.name == "InvalidStateError" {
                // We did not close it: the browser is closing the connection, and its
                // `close` event is still queued. The log is closed from now on (a caller
                // retrying in a loop of microtasks would never let that event run).
                self.closed.set(true);
                let why = IdbError::new("ConnectionLostError", "the browser closed the database connection");
                self.lost.set(why);
            }
            err
        })
    }

    /// Everything: batches, snapshots and meta records.
    pub async fn load(&self) -> Result<Loaded, IdbError> {
        let tx = self.tx(&[BATCHES, SNAPSHOTS, META], "readonly")?;
        let mut reqs = Vec::with_capacity(6);
        for name in [BATCHES, SNAPSHOTS, META] {
            let s = store(&tx, name)?;
            reqs.push(s.get_all_keys().map_err(js("reading"))?);
            reqs.push(s.get_all().map_err(js("reading"))?);
        }
        let mut out = Vec::with_capacity(6);
        for r in &reqs {
            out.push(Array::from(&self.request(r, "loading the log").await?));
        }
        let batches = zip(&out[0], &out[1], |k| k.as_f64())?;
        let snapshots = zip(&out[2], &out[3], |k| k.as_string())?;
        let meta = zip(&out[4], &out[5], |k| k.as_string())?;
        Ok(Loaded { batches, snapshots, meta })
    }

    /// Batches with a key greater than `after`, in key order.
    pub async fn batches_after(&self, after: f64) -> Result<Vec<(f64, Vec<u8>)>, IdbError> {
        let tx = self.tx(&[BATCHES], "readonly")?;
        let range = IdbKeyRange::lower_bound_with_open(&after.into(), true).map_err(js("a key range"))?;
        let s = store(&tx, BATCHES)?;
        let keys = s.get_all_keys_with_key(&range).map_err(js("reading"))?;
        let vals = s.get_all_with_key(&range).map_err(js("reading"))?;
        let keys = Array::from(&self.request(&keys, "reading new batches").await?);
        let vals = Array::from(&self.request(&vals, "reading new batches").await?);
        zip(&keys, &vals, |k| k.as_f64())
    }

    /// Appends one encoded batch in one transaction; resolves after `complete` with its key.
    ///
    /// The transaction is committed explicitly right after the `add`: without `commit()`
    /// the browser commits only once the page's current task and its microtasks are over.
    pub async fn append(&self, batch: &[u8]) -> Result<f64, IdbError> {
        let n = &self.names;
        let tx: Tx = self.tx_js(&n.batches_scope, &n.readwrite, true)?.unchecked_into();
        let req = tx.object_store_js(&n.batches).map_err(js("opening an object store"))?;
        let req = req.add(&Uint8Array::from(batch)).map_err(js("writing a batch"))?;
        // Best effort: a browser without `commit()` commits at the end of the task.
        let _ = tx.commit();
        self.transaction(&tx, "writing a batch").await?;
        req.result().ok().and_then(|k| k.as_f64()).ok_or_else(|| IdbError::new("UnknownError", "no key for the batch"))
    }

    pub async fn put_snapshot(&self, name: &str, bytes: &[u8]) -> Result<(), IdbError> {
        self.put(SNAPSHOTS, name, bytes).await
    }

    pub async fn put_meta(&self, key: &str, bytes: &[u8]) -> Result<(), IdbError> {
        self.put(META, key, bytes).await
    }

    /// One meta record, read now (another tab may have written it since the load).
    pub async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, IdbError> {
        let tx = self.tx(&[META], "readonly")?;
        let req = store(&tx, META)?.get(&key.into()).map_err(js("reading meta"))?;
        let v = self.request(&req, "reading meta").await?;
        Ok(v.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec))
    }

    async fn put(&self, store_name: &str, key: &str, bytes: &[u8]) -> Result<(), IdbError> {
        let tx = self.tx(&[store_name], "readwrite")?;
        store(&tx, store_name)?.put_with_key(&Uint8Array::from(bytes), &key.into()).map_err(js("writing"))?;
        self.transaction(&tx, "writing").await
    }

    /// The result of a request; see [`IdbStore::settle`].
    async fn request(&self, req: &IdbRequest, doing: &'static str) -> Result<JsValue, IdbError> {
        self.settle(request_promise(req), doing).await
    }

    /// Waits for a transaction's `complete`; see [`IdbStore::settle`].
    async fn transaction(&self, tx: &IdbTransaction, doing: &'static str) -> Result<(), IdbError> {
        self.settle(transaction_promise(tx), doing).await.map(|_| ())
    }

    /// Waits for `p` (a request or a transaction), unless the browser closes the connection
    /// first. Chromium aborts the transactions in flight before the `close` event, but one
    /// started in the instant before that event (the page did not know yet) never
    /// completes nor aborts (seen in Chromium 156): without this race, that append, and
    /// every write queued behind its lock, would wait forever.
    async fn settle(&self, p: Promise, doing: &'static str) -> Result<JsValue, IdbError> {
        let v = JsFuture::from(Promise::race(&Array::of2(&p, &self.dropped))).await.map_err(js(doing))?;
        if v == self.dropped_marker {
            return Err(self.lost().unwrap_or_else(|| IdbError::new("ConnectionLostError", doing)));
        }
        Ok(v)
    }

    /// Closes the connection; later calls fail with `InvalidStateError`.
    pub fn close(&self) {
        self.closed.set(true);
        self.db.close();
    }
}

fn store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore, IdbError> {
    tx.object_store(name).map_err(js("opening an object store"))
}

fn js(doing: &'static str) -> impl Fn(JsValue) -> IdbError {
    move |e| IdbError::from_js(e, doing)
}

/// Pairs keys with values; a record that is not `(expected key, Uint8Array)` was not
/// written by everlog and fails the load rather than being skipped silently.
fn zip<K>(keys: &Array, vals: &Array, key: impl Fn(&JsValue) -> Option<K>) -> Result<Vec<(K, Vec<u8>)>, IdbError> {
    keys.iter()
        .zip(vals.iter())
        .map(|(k, v)| match (key(&k), v.dyn_ref::<Uint8Array>()) {
            (Some(k), Some(v)) => Ok((k, v.to_vec())),
            _ => Err(IdbError::new("FormatError", "a stored record is not an everlog record")),
        })
        .collect()
}

#[cfg(test)]
mod tests;
