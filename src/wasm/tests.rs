//! Browser tests (wasm-bindgen-test in headless Chromium, real IndexedDB):
//! `cargo test --lib --target wasm32-unknown-unknown` (through pkg-scripts/wasm-test-runner.sh, docs/browser-tests.md).
//! The end-to-end tests of pages and tabs are the Playwright ones under `www/tests/`.

use js_sys::{Array, Reflect, Uint8Array};
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use super::event_log::EventLog;
use super::fold::Fold;
use super::open::{open, OpenOptions};

wasm_bindgen_test_configure!(run_in_browser);

pub(super) fn js(v: serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

pub(super) fn to_json(v: &JsValue) -> serde_json::Value {
    serde_json::from_str(&js_sys::JSON::stringify(v).unwrap().as_string().unwrap()).unwrap()
}

pub(super) fn prop(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

pub(super) async fn open_log(name: &str, memory: bool) -> EventLog {
    let shared = open(name.into(), OpenOptions { memory, strict: true }).await.unwrap();
    EventLog { shared }
}

pub(super) async fn wait(p: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

async fn fresh_db(name: &str) {
    wait(EventLog::delete_database(name.into())).await.unwrap();
}

#[wasm_bindgen_test]
async fn memory_append_read_fold() {
    let log = open_log("mem", true).await;
    let e = wait(log.append(
        js(json!({"stream": "cart:1", "type": "ItemAdded", "data": {"sku": "sock", "qty": 2}})),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(to_json(&prop(&e, "data")), json!({"sku": "sock", "qty": 2}));
    let batch = js(json!([
        {"stream": "cart:1", "type": "ItemAdded", "data": {"sku": "hat", "qty": 1}},
        {"stream": "cart:1", "type": "ItemAdded", "data": {"sku": "sock", "qty": 3}},
    ]));
    let evs = wait(log.append(batch, JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(Array::from(&evs).length(), 2);
    assert_eq!(log.stream_version("cart:1").unwrap(), 3.0);
    let filter = js(json!({"stream": "cart:1"}));
    let sums =
        log.fold(Fold::group_sum("sku".into(), "qty".into()).into(), filter.clone(), JsValue::UNDEFINED).unwrap();
    assert_eq!(to_json(&sums), json!({"hat": 1, "sock": 5}));
    let count = log.fold(Fold::count().into(), filter, JsValue::UNDEFINED).unwrap();
    assert_eq!(count.as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
async fn expected_version_and_idempotency() {
    let log = open_log("mem2", true).await;
    let ev = || js(json!({"stream": "s", "type": "T", "id": "once"}));
    let a = wait(log.append(ev(), JsValue::UNDEFINED)).await.unwrap();
    let b = wait(log.append(ev(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&a, "id"), prop(&b, "id"));
    assert_eq!(log.stream_version("s").unwrap(), 1.0);

    let opts = js(json!({"expectedVersion": 0}));
    let err = wait(log.append(js(json!({"stream": "s", "type": "T"})), opts)).await.unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("ConcurrencyError"));
    assert_eq!(prop(&err, "code").as_string().as_deref(), Some("CONCURRENCY"));
    assert_eq!(prop(&err, "currentVersion").as_f64(), Some(1.0));
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(log.stream_version("s").unwrap(), 1.0);

    let bad = wait(log.append(js(json!({"stream": "", "type": "T"})), JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(prop(&bad, "name").as_string().as_deref(), Some("InvalidEventError"));
}

#[wasm_bindgen_test]
async fn indexeddb_survives_reopen_and_reuses_the_actor() {
    fresh_db("reopen").await;
    let log = open_log("reopen", false).await;
    let actor = log.actor();
    wait(log.append(js(json!([{"stream": "s", "type": "A"}, {"stream": "s", "type": "B"}])), JsValue::UNDEFINED))
        .await
        .unwrap();
    wait(log.close()).await.unwrap();
    let err = log.events(JsValue::UNDEFINED).unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("ClosedError"));

    let again = open_log("reopen", false).await;
    assert_eq!(again.actor(), actor, "slot 0 keeps its actor id");
    let evs = to_json(&again.events(JsValue::UNDEFINED).unwrap());
    let types: Vec<&str> = evs.as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["A", "B"]);
    let e = wait(again.append(js(json!({"stream": "s", "type": "C"})), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&e, "id").as_string().unwrap(), format!("3@{actor}"));
    wait(again.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn on_close_tells_each_listener_once_and_a_late_one_at_once() {
    let log = open_log("on-close", true).await;
    let calls = Array::new();
    let push = |tag: &'static str| {
        let calls = calls.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            calls.push(&Array::of2(&tag.into(), &e));
        })
        .into_js_value()
        .unchecked_into::<js_sys::Function>()
    };
    log.on_close(push("kept"));
    let off = log.on_close(push("removed"));
    off.call0(&JsValue::UNDEFINED).unwrap();
    wait(log.close()).await.unwrap();
    wait(log.close()).await.unwrap();
    let late = js_sys::Promise::new(&mut |resolve, _| {
        log.on_close(resolve);
    });
    let err = wait(late).await.unwrap();
    assert_eq!(calls.length(), 1, "once, and not the removed listener");
    let first = Array::from(&calls.get(0));
    assert_eq!(first.get(0).as_string().as_deref(), Some("kept"));
    for e in [first.get(1), err] {
        assert_eq!(prop(&e, "name").as_string().as_deref(), Some("ClosedError"));
        assert!(prop(&e, "cause").is_undefined(), "closed by close(): no cause");
    }
}

#[wasm_bindgen_test]
async fn a_failed_write_changes_nothing_and_the_error_is_typed() {
    fresh_db("fail").await;
    let log = open_log("fail", false).await;
    wait(log.append(js(json!({"stream": "s", "type": "A"})), JsValue::UNDEFINED)).await.unwrap();
    // The connection goes away under the log (as when the browser closes it).
    log.shared.store.as_ref().unwrap().close();
    let err = wait(log.append(js(json!({"stream": "s", "type": "B"})), JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("StorageError"));
    assert_eq!(prop(&err, "reason").as_string().as_deref(), Some("InvalidStateError"));
    assert_eq!(log.stream_version("s").unwrap(), 1.0);
    wait(log.close()).await.unwrap();
    let again = open_log("fail", false).await;
    assert_eq!(again.stream_version("s").unwrap(), 1.0);
    wait(again.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn projection_follows_appends() {
    let log = open_log("proj", true).await;
    let opts = js(json!({"filter": {"stream": "c"}}));
    Reflect::set(&opts, &"reducer".into(), &Fold::sum("n".into()).into()).unwrap();
    let p = log.project("total".into(), opts).unwrap();
    assert_eq!(p.value().as_f64(), Some(0.0));
    wait(log.append(
        js(json!([{"stream": "c", "type": "T", "data": {"n": 2}}, {"stream": "d", "type": "T", "data": {"n": 5}}])),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(p.value().as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
async fn indexeddb_passes_the_storage_contract_basics() {
    use crate::store::Storage;
    fresh_db("contract").await;
    let mut s = super::idb::IdbStore::open("contract", true).await.map_err(|e| e.to_js()).unwrap();
    Storage::append(&mut s, b"one").await.unwrap();
    Storage::append(&mut s, b"two").await.unwrap();
    Storage::put_snapshot(&mut s, "p", b"snap").await.unwrap();
    Storage::put_meta(&mut s, "k", b"v").await.unwrap();
    let l = Storage::load(&mut s).await.unwrap();
    assert_eq!(l.batches, vec![b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(l.snapshots, vec![("p".to_string(), b"snap".to_vec())]);
    assert_eq!(l.meta.get("k").map(Vec::as_slice), Some(&b"v"[..]));
    Storage::close(&mut s).await.unwrap();
    let e = Storage::append(&mut s, b"three").await.unwrap_err();
    assert_eq!(e.name, "InvalidStateError");
}

#[wasm_bindgen_test]
async fn two_peers_converge_and_conflicts_stay_visible() {
    fresh_db("peer-b").await;
    let a = open_log("peer-a", true).await;
    let b = open_log("peer-b", false).await;
    let put = |v: i32| js(json!({"stream": "doc", "type": "Set", "key": "title", "data": v}));
    wait(a.append(put(1), JsValue::UNDEFINED)).await.unwrap();
    wait(b.append(put(2), JsValue::UNDEFINED)).await.unwrap();
    let reg_opts = js(json!({"filter": {"stream": "doc"}}));
    Reflect::set(&reg_opts, &"reducer".into(), &Fold::register().into()).unwrap();
    let view = b.project("reg".into(), reg_opts).unwrap();
    let (pa, pb) = (a.peer().unwrap(), b.peer().unwrap());
    // Ping-pong until both have nothing to say.
    for _ in 0..10 {
        let (ma, mb) = (pa.generate_message().unwrap(), pb.generate_message().unwrap());
        if ma.is_null() && mb.is_null() {
            break;
        }
        if !ma.is_null() {
            wait(pb.receive_message(&Uint8Array::new(&ma).to_vec())).await.unwrap();
        }
        if !mb.is_null() {
            wait(pa.receive_message(&Uint8Array::new(&mb).to_vec())).await.unwrap();
        }
    }
    assert_eq!(to_json(&a.version().unwrap()), to_json(&b.version().unwrap()));
    assert_eq!(to_json(&a.events(JsValue::UNDEFINED).unwrap()), to_json(&b.events(JsValue::UNDEFINED).unwrap()));
    let conflicts = to_json(&b.conflicts(js(json!({"stream": "doc"}))).unwrap());
    assert_eq!(conflicts[0]["events"].as_array().unwrap().len(), 2, "keep-both: {conflicts}");
    let reg = to_json(&a.fold(Fold::register().into(), js(json!({"stream": "doc"})), JsValue::UNDEFINED).unwrap());
    assert_eq!(reg["title"].as_array().unwrap().len(), 2);
    let reg_b = b.fold(Fold::register().into(), js(json!({"stream": "doc"})), JsValue::UNDEFINED).unwrap();
    assert_eq!(to_json(&view.value()), to_json(&reg_b), "live projection = fold from scratch after a remote merge");
    // Garbage is a typed DecodeError and changes nothing.
    let err = wait(pa.receive_message(b"not a message")).await.unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("DecodeError"));
    // B persisted what it received: it is still there after a reopen.
    wait(b.close()).await.unwrap();
    let b2 = open_log("peer-b", false).await;
    assert_eq!(b2.stream_version("doc").unwrap(), 2.0);
    wait(b2.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn builtin_projection_snapshot_is_persisted_and_restored() {
    fresh_db("snap").await;
    let opts = || {
        let o = js(json!({"filter": {"stream": "c"}}));
        Reflect::set(&o, &"reducer".into(), &Fold::group_sum("sku".into(), "qty".into()).into()).unwrap();
        o
    };
    let log = open_log("snap", false).await;
    let p = log.project("skus".into(), opts()).unwrap();
    let batch = js(
        json!([{"stream": "c", "type": "A", "data": {"sku": "a", "qty": 2}}, {"stream": "c", "type": "A", "data": {"sku": "b", "qty": 1}}]),
    );
    wait(log.append(batch, JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(to_json(&p.value()), json!({"a": 2, "b": 1}));
    wait(log.close()).await.unwrap();

    let store = super::idb::IdbStore::open("snap", true).await.map_err(|e| e.to_js()).unwrap();
    let loaded = store.load().await.map_err(|e| e.to_js()).unwrap();
    store.close();
    assert_eq!(loaded.snapshots.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["skus"]);

    let again = open_log("snap", false).await;
    wait(again.append(js(json!({"stream": "c", "type": "A", "data": {"sku": "a", "qty": 5}})), JsValue::UNDEFINED))
        .await
        .unwrap();
    let p2 = again.project("skus".into(), opts()).unwrap();
    let from_scratch = again
        .fold(Fold::group_sum("sku".into(), "qty".into()).into(), js(json!({"stream": "c"})), JsValue::UNDEFINED)
        .unwrap();
    assert_eq!(to_json(&p2.value()), to_json(&from_scratch));
    assert_eq!(to_json(&p2.value()), json!({"a": 7, "b": 1}));
    wait(again.close()).await.unwrap();
}

/// Runs two peers until neither has anything to say; returns the number of messages.
pub(super) async fn sync_pair(a: &super::peer::Peer, b: &super::peer::Peer) -> usize {
    let mut messages = 0;
    loop {
        let mut quiet = true;
        for (from, to) in [(a, b), (b, a)] {
            loop {
                let m = from.generate_message().unwrap();
                if m.is_null() {
                    break;
                }
                wait(to.receive_message(&Uint8Array::new(&m).to_vec())).await.unwrap();
                messages += 1;
                quiet = false;
            }
        }
        if quiet {
            return messages;
        }
    }
}

#[wasm_bindgen_test]
async fn peers_converge_and_keep_both_sides_of_a_conflict() {
    let a = open_log("peer-a", true).await;
    let b = open_log("peer-b", true).await;
    let put = |qty: u32| js(json!({"stream": "cart:1", "type": "QtyChanged", "key": "sock", "data": {"qty": qty}}));
    wait(a.append(put(3), JsValue::UNDEFINED)).await.unwrap();
    wait(b.append(put(5), JsValue::UNDEFINED)).await.unwrap();
    let (pa, pb) = (a.peer().unwrap(), b.peer().unwrap());
    assert!(sync_pair(&pa, &pb).await >= 2);
    assert_eq!(to_json(&a.version().unwrap()), to_json(&b.version().unwrap()));
    assert_eq!(to_json(&pa.progress().unwrap()), json!({"known": true, "toSend": 0, "toReceive": 0}));
    let conflicts = a.conflicts(js(json!({"stream": "cart:1"}))).unwrap();
    assert_eq!(Array::from(&prop(&Array::from(&conflicts).get(0), "events")).length(), 2);

    // Resolving on one side reaches the other, and the history keeps the conflict.
    wait(a.append(put(4), JsValue::UNDEFINED)).await.unwrap();
    sync_pair(&pa, &pb).await;
    assert_eq!(Array::from(&b.conflicts(JsValue::UNDEFINED).unwrap()).length(), 0);
    let history = to_json(&b.conflict_history(JsValue::UNDEFINED).unwrap());
    assert_eq!(history[0]["siblings"].as_array().map(Vec::len), Some(2));
    assert!(history[0]["resolvedBy"].is_string());
}

#[wasm_bindgen_test]
async fn a_damaged_message_is_refused_and_changes_nothing() {
    let a = open_log("peer-bad", true).await;
    let before = to_json(&a.version().unwrap());
    let err = wait(a.peer().unwrap().receive_message(b"EVLSnot a message")).await.unwrap_err();
    assert_eq!(prop(&err, "name").as_string().as_deref(), Some("DecodeError"));
    assert_eq!(to_json(&a.version().unwrap()), before);
}

#[wasm_bindgen_test]
async fn a_store_written_out_of_causal_order_still_opens() {
    // `open` replays storage with the core's `restore`, which needs a causal order; a
    // store in another order (not written by this code) falls back to `receive`.
    fresh_db("unordered").await;
    let src = open_log("unordered-src", true).await;
    for n in 0..2 {
        wait(src.append(js(json!({"stream": "s", "type": "T", "data": n})), JsValue::UNDEFINED)).await.unwrap();
    }
    let events: Vec<crate::core::Event> = src.shared.log.borrow().iter().map(|e| e.to_event()).collect();
    let store = super::idb::IdbStore::open("unordered", true).await.map_err(|e| e.to_js()).unwrap();
    for e in events.iter().rev() {
        store.append(&super::batch::encode(std::slice::from_ref(e))).await.map_err(|e| e.to_js()).unwrap();
    }
    store.close();
    let log = open_log("unordered", false).await;
    assert_eq!(log.stream_version("s").unwrap(), 2.0);
    assert_eq!(to_json(&log.events(JsValue::UNDEFINED).unwrap()), to_json(&src.events(JsValue::UNDEFINED).unwrap()));
    wait(log.close()).await.unwrap();
}

/// `exportCloudEvents` writes its lines in JavaScript (js/cloudevents.js): the same bytes
/// as the Rust writer, for meta keys in byte order (numeric-looking, astral), a key, an
/// idempotency key, deps, a pretty-printed payload (base64) and escapes.
#[cfg(feature = "toolkit")]
#[wasm_bindgen_test]
async fn cloudevents_export_matches_the_rust_writer() {
    use crate::core::{ActorId, AppendOptions, Draft, Filter, Log};
    use crate::toolkit::{export_cloudevents, ExportOptions};
    let (mut a, mut b) = (Log::new(ActorId::from_u128(1)), Log::new(ActorId::from_u128(2)));
    let o = AppendOptions::default();
    let first = Draft::new("s:1", "T", json!({"x": "é\u{2028}"})).key("k").meta("10", "a").meta("9", "b");
    let first = first.meta("\u{10000}", "c").meta("\u{ff61}", "d\"\n");
    a.append(vec![first], &o, 1_700_000_000_123).unwrap();
    b.receive(a.iter().map(|e| e.to_event()).collect()).unwrap();
    let raw = Draft { data: "{\n \"b\" : 1.50 }".into(), ..Draft::new("s:2", "Raw", json!(0)) };
    b.append(vec![raw.idempotency_key("once")], &o, 1_700_000_000_500).unwrap();
    a.receive(b.iter().map(|e| e.to_event()).collect()).unwrap();
    a.append(vec![Draft::new("s:1", "U", json!([1, "\"q\"\u{1}"]))], &o, 5).unwrap();
    let text = export_cloudevents(&a, &Filter::default(), &ExportOptions::default()).unwrap();
    assert!(text.contains("everlogdeps") && text.contains("data_base64") && text.contains("everlogidempotency"));
    let log = open_log("cloudevents", true).await;
    wait(log.import_cloud_events(text.clone().into())).await.unwrap();
    assert_eq!(log.export_cloud_events(JsValue::UNDEFINED).unwrap(), text);
}

/// Issue #8: a built-in projection folds upcast events exactly as `log.fold(Fold.*)` does,
/// live (local appends, merges) and after a reopen over a snapshot taken without upcasters.
#[cfg(feature = "toolkit")]
#[wasm_bindgen_test]
async fn builtin_projection_folds_upcast_events_like_log_fold() {
    fresh_db("upcast-proj").await;
    let old = |sku: &str, n: i32| json!({"stream": "c", "type": "Added", "data": {"sku": sku, "n": n}});
    let opts = || {
        let o = js(json!({"filter": {"stream": "c"}}));
        Reflect::set(&o, &"reducer".into(), &Fold::group_sum("sku".into(), "qty".into()).into()).unwrap();
        o
    };
    let fold = |log: &EventLog| {
        to_json(
            &log.fold(
                Fold::group_sum("sku".into(), "qty".into()).into(),
                js(json!({"stream": "c"})),
                JsValue::UNDEFINED,
            )
            .unwrap(),
        )
    };
    // Session 1, no upcasters: the projection folds stored shapes (no `qty`) and leaves a snapshot.
    let log = open_log("upcast-proj", false).await;
    wait(log.append(js(json!([old("a", 2), old("b", 1)])), JsValue::UNDEFINED)).await.unwrap();
    let plain = log.project("skus".into(), opts()).unwrap();
    assert_eq!(to_json(&plain.value()), fold(&log));
    wait(log.close()).await.unwrap();

    // Session 2, with an upcaster `n` → `qty`: the snapshot of stored shapes is not reused.
    let log = open_log("upcast-proj", false).await;
    let up = js_sys::Function::new_with_args("s", "return { data: { sku: s.data.sku, qty: s.data.n } };");
    log.upcast("Added".into(), 1, up.into()).unwrap();
    let p = log.project("skus".into(), opts()).unwrap();
    assert_eq!(to_json(&p.value()), json!({"a": 2, "b": 1}));
    assert_eq!(to_json(&p.value()), fold(&log));

    // A local append is folded in upcast.
    wait(log.append(js(old("a", 5)), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(to_json(&p.value()), json!({"a": 7, "b": 1}));
    assert_eq!(to_json(&p.value()), fold(&log));

    // Old-schema events merged from a peer without upcasters are folded upcast too.
    let remote = open_log("upcast-proj-peer", true).await;
    wait(remote.append(js(json!([old("b", 3), old("c", 4)])), JsValue::UNDEFINED)).await.unwrap();
    sync_pair(&log.peer().unwrap(), &remote.peer().unwrap()).await;
    assert_eq!(to_json(&p.value()), json!({"a": 7, "b": 4, "c": 4}));
    assert_eq!(to_json(&p.value()), fold(&log));
    wait(log.close()).await.unwrap();
}
