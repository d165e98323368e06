//! Browser tests of the IndexedDB failure paths (wasm-bindgen-test, headless Chromium):
//! a blocked upgrade, and our connection stepping aside for another tab's upgrade or
//! deletion. The forced close by the browser and durability are tested with Playwright
//! (`www/tests/failures.test.mjs`): they need the DevTools protocol or a page-level spy.

use js_sys::Reflect;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::IdbDatabase;

use super::open::{delete_db, open_db, SCHEMA_VERSION};
use super::request::{request, transaction_promise};
use super::{IdbError, IdbStore, BATCHES};
use crate::wasm::event_log::EventLog;
use crate::wasm::open::{open, OpenOptions};

fn prop(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

fn name_of(v: &JsValue) -> Option<String> {
    prop(v, "name").as_string()
}

fn must<T>(r: Result<T, IdbError>) -> T {
    r.unwrap_or_else(|e| panic!("{:?}", e.error))
}

fn failure<T>(r: Result<T, IdbError>) -> IdbError {
    match r {
        Ok(_) => panic!("expected a failure"),
        Err(e) => e,
    }
}

/// Number of batch records, read through `db` (any connection). Waits for the end of the
/// transaction too: a connection closed while it runs would still count as open for a
/// moment, and a deletion right after would be reported `blocked`.
async fn batch_count(db: &IdbDatabase) -> f64 {
    let tx = db.transaction_with_str(BATCHES).unwrap();
    let req = tx.object_store(BATCHES).unwrap().count().unwrap();
    let n = must(request(&req, "counting").await).as_f64().unwrap();
    JsFuture::from(transaction_promise(&tx)).await.unwrap();
    n
}

async fn fresh(name: &str) {
    must(delete_db(&IdbStore::db_name(name)).await);
}

async fn open_log(name: &str) -> EventLog {
    EventLog { shared: open(name.into(), OpenOptions { memory: false, strict: true }).await.unwrap() }
}

fn event(ty: &str) -> JsValue {
    js_sys::JSON::parse(&json!({"stream": "s", "type": ty}).to_string()).unwrap()
}

/// The error of a rejected promise.
async fn rejection(p: js_sys::Promise) -> JsValue {
    JsFuture::from(p).await.expect_err("expected a rejection")
}

/// A promise of the error `log.onClose` reports (registered now).
fn on_close(log: &EventLog) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        log.on_close(resolve);
    })
}

/// `err` is a `ClosedError` whose cause is a `StorageError` with `reason`.
fn assert_closed_by(err: &JsValue, reason: &str) {
    assert_eq!(name_of(err).as_deref(), Some("ClosedError"));
    assert_eq!(prop(err, "code").as_string().as_deref(), Some("CLOSED"));
    let cause = prop(err, "cause");
    assert_eq!(name_of(&cause).as_deref(), Some("StorageError"));
    assert_eq!(prop(&cause, "reason").as_string().as_deref(), Some(reason));
}

#[wasm_bindgen_test]
async fn a_blocked_upgrade_fails_typed_and_keeps_the_old_data() {
    let name = "blocked";
    fresh(name).await;
    let store = must(IdbStore::open(name, true).await);
    must(store.append(b"earlier").await);
    store.close();
    // An old tab of an older build: a connection that ignores `versionchange`.
    let old = must(open_db(&IdbStore::db_name(name), SCHEMA_VERSION).await);
    // A newer build needs the next schema version: the upgrade is blocked, and the open
    // fails with a typed error instead of waiting for the old tab forever.
    let err = failure(IdbStore::open_version(name, true, SCHEMA_VERSION + 1).await);
    assert_eq!(err.error.name, "BlockedError");
    let js = err.to_js();
    assert_eq!(name_of(&js).as_deref(), Some("StorageError"));
    assert_eq!(prop(&js, "reason").as_string().as_deref(), Some("BlockedError"));
    assert!(js.is_instance_of::<js_sys::Error>());
    // The old tab keeps its connection and its data.
    assert_eq!(batch_count(&old).await, 1.0);
    // Once it goes away, the queued upgrade runs (its connection, orphaned, is closed) and
    // a retry succeeds with the earlier data.
    old.close();
    let newer = must(IdbStore::open_version(name, true, SCHEMA_VERSION + 1).await);
    let loaded = must(newer.load().await);
    assert_eq!(loaded.batches.iter().map(|(_, b)| b.as_slice()).collect::<Vec<_>>(), [b"earlier"]);
    newer.close();
    // This (older) build now refuses the upgraded database instead of misreading it.
    assert_eq!(failure(IdbStore::open(name, true).await).error.name, "VersionError");
    fresh(name).await;
}

#[wasm_bindgen_test]
async fn a_newer_tab_upgrading_closes_our_log_and_nothing_more_is_written() {
    let name = "upgraded";
    fresh(name).await;
    let log = open_log(name).await;
    let told = on_close(&log);
    let batch = js_sys::Array::of2(&event("A"), &event("B"));
    JsFuture::from(log.append(batch.into(), JsValue::UNDEFINED)).await.unwrap();
    // A newer build opens the next version: our connection steps aside (no `blocked`).
    let newer = must(open_db(&IdbStore::db_name(name), SCHEMA_VERSION + 1).await);
    assert!(log.closed(), "the log reports that it is closed");
    // The app is told without calling anything.
    assert_closed_by(&JsFuture::from(told).await.unwrap(), "VersionChangeError");
    let err = rejection(log.append(event("C"), JsValue::UNDEFINED)).await;
    assert_closed_by(&err, "VersionChangeError");
    assert_closed_by(&log.events(JsValue::UNDEFINED).unwrap_err(), "VersionChangeError");
    assert_eq!(batch_count(&newer).await, 1.0, "the refused append wrote nothing");
    newer.close();
    // close() still works (releases the tab's slot) and stays idempotent.
    JsFuture::from(log.close()).await.unwrap();
    assert!(log.closed());
    fresh(name).await;
}

#[wasm_bindgen_test]
async fn a_deleted_database_closes_our_log_and_a_reopen_starts_empty() {
    let name = "deleted";
    fresh(name).await;
    let log = open_log(name).await;
    let told = on_close(&log);
    JsFuture::from(log.append(event("A"), JsValue::UNDEFINED)).await.unwrap();
    // Another tab deletes the database: not blocked, because our connection steps aside.
    must(delete_db(&IdbStore::db_name(name)).await);
    assert_closed_by(&JsFuture::from(told).await.unwrap(), "DeletedError");
    let err = rejection(log.append(event("B"), JsValue::UNDEFINED)).await;
    assert_closed_by(&err, "DeletedError");
    assert_closed_by(&log.stream_version("s").unwrap_err(), "DeletedError");
    JsFuture::from(log.close()).await.unwrap();
    let again = open_log(name).await;
    assert_eq!(again.stream_version("s").unwrap(), 0.0);
    JsFuture::from(again.append(event("C"), JsValue::UNDEFINED)).await.unwrap();
    JsFuture::from(again.close()).await.unwrap();
    fresh(name).await;
}
