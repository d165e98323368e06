//! Browser tests of JS reducer folds over the event cache (`event_cache.rs`): the cache is
//! indexed by arena index while folds follow the total order, so remote events that land
//! in the middle of the order, filters (point in time, limit, type, stream) and live
//! projections must all see exactly what `log.events(filter)` sees.

use js_sys::{Array, Function};
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use super::tests::{js, open_log, prop, sync_pair, to_json, wait};

/// A reducer that lists `id:data` of every event it is handed, in order.
fn collect() -> Function {
    Function::new_with_args("s, e", "s.push(e.id + ':' + JSON.stringify(e.data)); return s;")
}

/// What a fold must see: the same list built from `log.events(filter)`.
fn expected(log: &super::EventLog, filter: &JsValue) -> serde_json::Value {
    let events = Array::from(&log.events(filter.clone()).unwrap());
    let ids: Vec<String> = events
        .iter()
        .map(|e| {
            let data = js_sys::JSON::stringify(&prop(&e, "data")).unwrap().as_string().unwrap();
            format!("{}:{}", prop(&e, "id").as_string().unwrap(), data)
        })
        .collect();
    json!(ids)
}

fn js_fold(log: &super::EventLog, filter: &JsValue) -> serde_json::Value {
    to_json(&log.fold(collect().into(), Array::new().into(), filter.clone()).unwrap())
}

async fn put(log: &super::EventLog, events: serde_json::Value) {
    wait(log.append(js(events), JsValue::UNDEFINED)).await.unwrap();
}

#[wasm_bindgen_test]
async fn js_folds_follow_the_total_order_after_a_merge_into_the_middle() {
    let a = open_log("jsf-a", true).await;
    let b = open_log("jsf-b", true).await;
    let ev = |s: &str, t: &str, n: u32| json!({"stream": s, "type": t, "key": "k", "data": {"n": n}});
    put(&a, json!([ev("s", "A", 1), ev("s", "A", 2), ev("t", "A", 3)])).await;
    put(&b, json!([ev("s", "B", 10), ev("t", "B", 20), ev("s", "B", 30)])).await;

    // B's cache is built now, before the merge: the merged events land between its own
    // in the total order (same Lamport clocks), but after them in the arena.
    let all = JsValue::UNDEFINED;
    assert_eq!(js_fold(&b, &all), expected(&b, &all));
    let before = b.version().unwrap();
    let opts = js(json!({"initial": [], "filter": {"stream": "s"}}));
    js_sys::Reflect::set(&opts, &"reducer".into(), &collect()).unwrap();
    let view = b.project("ids".into(), opts).unwrap();

    sync_pair(&a.peer().unwrap(), &b.peer().unwrap()).await;
    assert_eq!(b.stream_version("s").unwrap(), 4.0);

    let filters = [
        json!({}),
        json!({"stream": "s"}),
        json!({"type": "A"}),
        json!({"type": ["A", "B"], "stream": "t"}),
        json!({"limit": 4}),
        json!({"stream": "s", "limit": 3}),
        json!({"at": {"time": 0}}),
        json!({"streamPrefix": "t"}),
    ];
    for f in filters {
        let f = js(f);
        let got = js_fold(&b, &f);
        assert_eq!(got, expected(&b, &f), "filter {}", to_json(&f));
    }
    // Point in time: the version before the merge sees only B's own events.
    let at = js(json!({}));
    js_sys::Reflect::set(&at, &"at".into(), &before).unwrap();
    assert_eq!(js_fold(&b, &at).as_array().map(Vec::len), Some(3));
    assert_eq!(js_fold(&b, &at), expected(&b, &at));
    // Both replicas fold the same events in the same order.
    assert_eq!(js_fold(&a, &all), js_fold(&b, &all));
    // The live projection was recomputed (events landed before its tip) and equals a fold.
    assert_eq!(to_json(&view.value()), js_fold(&b, &js(json!({"stream": "s"}))));

    // Later local appends extend the cache and the projection incrementally.
    put(&b, json!([ev("s", "B", 40)])).await;
    assert_eq!(js_fold(&b, &all), expected(&b, &all));
    assert_eq!(to_json(&view.value()), js_fold(&b, &js(json!({"stream": "s"}))));
}

#[wasm_bindgen_test]
async fn cached_events_are_frozen_so_a_reducer_cannot_change_later_folds() {
    let log = open_log("jsf-frozen", true).await;
    put(&log, json!([{"stream": "s", "type": "T", "data": {"n": 1, "tags": ["x"]}}])).await;
    let mutate = Function::new_with_args("s, e", "'use strict'; e.data.tags.push('y'); return s;");
    let err = log.fold(mutate.into(), JsValue::from(0), JsValue::UNDEFINED).unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("TypeError"));
    let sloppy = Function::new_with_args("s, e", "e.data.n = 99; return s;");
    log.fold(sloppy.into(), JsValue::from(0), JsValue::UNDEFINED).unwrap();
    let all = JsValue::UNDEFINED;
    assert_eq!(js_fold(&log, &all), expected(&log, &all));
    assert_eq!(to_json(&prop(&Array::from(&log.events(all).unwrap()).get(0), "data")), json!({"n": 1, "tags": ["x"]}));
    // A throwing reducer's error reaches the caller as it was thrown.
    let throws = Function::new_with_args("s, e", "throw new RangeError('no');");
    let err = log.fold(throws.into(), JsValue::from(0), JsValue::UNDEFINED).unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("RangeError"));
}

/// A reducer that lists each event as JSON (type, data, revert links included).
#[cfg(feature = "toolkit")]
fn whole() -> Function {
    Function::new_with_args("s, e", "s.push(JSON.stringify(e)); return s;")
}

#[cfg(feature = "toolkit")]
fn whole_expected(log: &super::EventLog) -> serde_json::Value {
    let events = Array::from(&log.events(JsValue::UNDEFINED).unwrap());
    json!(events.iter().map(|e| js_sys::JSON::stringify(&e).unwrap().as_string().unwrap()).collect::<Vec<_>>())
}

#[cfg(feature = "toolkit")]
#[wasm_bindgen_test]
async fn the_cache_follows_upcasters_and_reverts_added_after_it_was_built() {
    let log = open_log("jsf-shape", true).await;
    put(&log, json!([{"stream": "s", "type": "Old", "data": {"n": 1}}])).await;
    let fold = || to_json(&log.fold(whole().into(), Array::new().into(), JsValue::UNDEFINED).unwrap());
    assert_eq!(fold(), whole_expected(&log)); // the cache now holds the stored shape
    let up = Function::new_with_args("s", "return { type: 'New', data: { n: s.data.n * 10 } };");
    log.upcast("Old".into(), 1, up.into()).unwrap();
    let after = fold();
    assert_eq!(after, whole_expected(&log));
    assert!(after[0].as_str().unwrap().contains("\"type\":\"New\""), "{after}");

    let first = prop(&Array::from(&log.events(JsValue::UNDEFINED).unwrap()).get(0), "id").as_string().unwrap();
    wait(log.revert(first, js(json!({"type": "Undo", "data": null})))).await.unwrap();
    let reverted = fold();
    assert_eq!(reverted, whole_expected(&log));
    assert!(reverted[0].as_str().unwrap().contains("revertedBy"), "{reverted}");
}
