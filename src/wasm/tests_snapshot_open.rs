//! Browser tests of an open over a persisted projection snapshot (real IndexedDB): the
//! projection starts from the snapshot and folds only the events since (appended in a later
//! session without the projection, or by a session whose snapshot write never happened),
//! while the log itself has every stored event.

use js_sys::{Array, Reflect};
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use super::event_log::EventLog;
use super::fold::Fold;
use super::tests::{js, open_log, to_json, wait};

fn skus() -> JsValue {
    let o = js(json!({}));
    Reflect::set(&o, &"reducer".into(), &Fold::group_sum("sku".into(), "qty".into()).into()).unwrap();
    o
}

/// `n` events from number `from` on: sku `s{i % 3}`, qty `i`.
fn batch(from: u32, n: u32) -> JsValue {
    let events: Vec<_> = (from..from + n)
        .map(
            |i| json!({"stream": format!("c{}", i % 4), "type": "A", "data": {"sku": format!("s{}", i % 3), "qty": i}}),
        )
        .collect();
    js(json!(events))
}

fn expected_sums(n: u32) -> serde_json::Value {
    let mut sums = [0u32; 3];
    for i in 0..n {
        sums[(i % 3) as usize] += i;
    }
    json!({"s0": sums[0], "s1": sums[1], "s2": sums[2]})
}

/// Every event, the projection's value, the version, and that the log carries on.
async fn then_complete(log: &EventLog, n: u32) {
    let p = log.project("skus".into(), skus()).unwrap();
    let scratch =
        log.fold(Fold::group_sum("sku".into(), "qty".into()).into(), js(json!({})), JsValue::UNDEFINED).unwrap();
    assert_eq!(to_json(&p.value()), expected_sums(n));
    assert_eq!(to_json(&p.value()), to_json(&scratch));
    let events = Array::from(&log.events(JsValue::UNDEFINED).unwrap());
    assert_eq!(events.length(), n);
    let version = to_json(&log.version().unwrap());
    let total: u64 = version.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, u64::from(n));
    // A later append lands in the projection too.
    wait(log.append(batch(n, 1), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(to_json(&p.value()), expected_sums(n + 1));
}

#[wasm_bindgen_test]
async fn an_open_over_a_snapshot_sees_every_event_and_folds_the_ones_since() {
    wait(EventLog::delete_database("snapopen".into())).await.unwrap();
    // Session 1: the projection is live; close() persists its snapshot (300 events).
    let log = open_log("snapopen", false).await;
    let p = log.project("skus".into(), skus()).unwrap();
    for b in 0..3 {
        wait(log.append(batch(b * 100, 100), JsValue::UNDEFINED)).await.unwrap();
    }
    assert_eq!(to_json(&p.value()), expected_sums(300));
    wait(log.close()).await.unwrap();
    // Session 2, without the projection: 50 events the snapshot does not cover.
    let later = open_log("snapopen", false).await;
    wait(later.append(batch(300, 50), JsValue::UNDEFINED)).await.unwrap();
    wait(later.close()).await.unwrap();
    // Session 3: the snapshot plus the 50 events since, and the whole log.
    let again = open_log("snapopen", false).await;
    then_complete(&again, 350).await;
    wait(again.close()).await.unwrap();
    // Session 4: over the snapshot session 3 left (351 events, nothing since).
    let last = open_log("snapopen", false).await;
    then_complete(&last, 351).await;
    wait(last.close()).await.unwrap();
}

/// Batches are decoded one at a time as they are applied: a damaged one after good ones
/// still fails the open as a whole (a `DecodeError`), and the store keeps what it had.
#[wasm_bindgen_test]
async fn a_damaged_batch_after_good_ones_fails_the_open() {
    wait(EventLog::delete_database("snapdamaged".into())).await.unwrap();
    let log = open_log("snapdamaged", false).await;
    wait(log.append(batch(0, 10), JsValue::UNDEFINED)).await.unwrap();
    wait(log.close()).await.unwrap();
    let store = super::idb::IdbStore::open("snapdamaged", true).await.map_err(|e| e.to_js()).unwrap();
    store.append(b"not a batch").await.map_err(|e| e.to_js()).unwrap();
    store.close();
    let opened =
        super::open::open("snapdamaged".into(), super::open::OpenOptions { memory: false, strict: true }).await;
    let err = opened.err().expect("the open fails");
    assert_eq!(Reflect::get(&err, &"name".into()).unwrap().as_string().as_deref(), Some("DecodeError"));
    let store = super::idb::IdbStore::open("snapdamaged", true).await.map_err(|e| e.to_js()).unwrap();
    assert_eq!(store.load().await.map_err(|e| e.to_js()).unwrap().batches.len(), 2);
    store.close();
}
