//! Given/when/then tests of the built-in folds and of folds at a point in time.

use everlog::fold::{Count, GroupSum, Latest, Register, Sum};
use everlog::*;
use serde_json::{json, Value};

fn actor(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

fn given_log(n: u128) -> Log {
    Log::new(actor(n))
}

fn when_appended(log: &mut Log, now: u64, drafts: Vec<Draft>) -> Vec<Event> {
    log.append(drafts, &AppendOptions::default(), now).unwrap()
}

fn item(data: Value) -> Draft {
    Draft::new("cart:1", "ItemAdded", data)
}

fn set(key: &str, v: Value) -> Draft {
    Draft::new("doc:1", "Set", v).key(key)
}

fn then_value(log: &Log, fold: Builtin, filter: &Filter, expected: Value) {
    let state = log.fold(&fold, filter);
    assert_eq!(fold.value(&state), expected, "{fold:?} over {filter:?}");
    // The JSON text the JS face gets is the same value, and the state round-trips
    // through its snapshot encoding (decoded by hand, see src/core/fold/states.rs).
    assert_eq!(serde_json::from_str::<Value>(&fold.json(&state)).unwrap(), expected, "{fold:?} json");
    let bytes = fold.encode_state(&state).unwrap();
    assert_eq!(fold.decode_state(&bytes).unwrap(), state, "{fold:?} snapshot state");
}

/// Payloads covering every skip rule, with hand-computed results.
fn given_cart() -> Log {
    let mut log = given_log(1);
    when_appended(
        &mut log,
        10,
        vec![
            item(json!({"sku": "sock", "qty": 2})),
            item(json!({"sku": "hat", "qty": 1})),
            item(json!({"qty": 1, "sku": "sock", "note": {"qty": 100}})),
            item(json!({"sku": "sock", "qty": "3"})), // non-numeric: skipped
            item(json!({"sku": "sock"})),             // no qty: skipped
            item(json!({"qty": 5})),                  // no sku: in sum, not in groupSum
            item(json!({"sku": null, "qty": 4})),     // null sku: in sum, not in groupSum
            item(json!([1, 2])),                      // not an object: skipped
            item(json!({"sku": 7, "qty": 2.5})),      // number key groups as "7"
            item(json!({"sku": "sock", "qty": 1e300})),
            Draft::new("cart:2", "ItemAdded", json!({"sku": "sock", "qty": 50})),
        ],
    );
    log
}

#[test]
fn count_counts_selected_events() {
    let log = given_cart();
    then_value(&log, Builtin::count(), &Filter::stream("cart:1"), json!(10));
    then_value(&log, Builtin::count(), &Filter::default(), json!(11));
    then_value(&log, Builtin::count(), &Filter::stream("cart:1").limit(3), json!(3));
    then_value(&log, Builtin::count(), &Filter::default().with_type("Nope"), json!(0));
}

#[test]
fn sum_adds_numeric_top_level_fields_and_skips_the_rest() {
    let log = given_cart();
    // 2 + 1 + 1 + 5 + 4 + 2.5 + 1e300
    let expected = 2.0 + 1.0 + 1.0 + 5.0 + 4.0 + 2.5 + 1e300;
    let state = log.fold(&Builtin::sum("qty"), &Filter::stream("cart:1"));
    assert_eq!(Builtin::sum("qty").value(&state), json!(expected));
    let small = Filter { stream: Some("cart:1".into()), limit: Some(9), ..Default::default() };
    then_value(&log, Builtin::sum("qty"), &small, json!(15.5));
    then_value(&log, Builtin::sum("missing"), &small, json!(0));
    assert_eq!(log.fold(&Sum::new("qty"), &Filter::stream("cart:2")).0, 50.0);
}

#[test]
fn group_sum_groups_by_a_field_and_skips_missing_or_null_keys() {
    let log = given_cart();
    let first9 = Filter::stream("cart:1").limit(9);
    then_value(&log, Builtin::group_sum("sku", "qty"), &first9, json!({"sock": 3, "hat": 1, "7": 2.5}));
    then_value(&log, Builtin::group_sum("sku", "qty"), &Filter::default().limit(0), json!({}));
    let state = log.fold(&GroupSum::new("sku", "qty"), &Filter::stream("cart:2"));
    assert_eq!(state.sorted(), vec![("sock", 50.0)]);
}

#[test]
fn latest_keeps_the_last_value_per_key_and_skips_unkeyed_events() {
    let mut log = given_log(1);
    when_appended(
        &mut log,
        1,
        vec![set("title", json!("a")), set("color", json!({"rgb": 1})), set("title", json!("b"))],
    );
    when_appended(&mut log, 2, vec![Draft::new("doc:1", "Touched", json!(1))]);
    then_value(&log, Builtin::latest(), &Filter::stream("doc:1"), json!({"title": "b", "color": {"rgb": 1}}));
    assert_eq!(log.fold(&Latest, &Filter::stream("doc:1")).0.len(), 2);
}

/// Two replicas write `title` concurrently; a third write on one of them resolves it.
fn given_concurrent_titles() -> (Log, Log, Vec<Event>) {
    let (mut a, mut b) = (given_log(1), given_log(2));
    let ea = when_appended(&mut a, 5, vec![set("title", json!("from a")), set("size", json!(1))]);
    let eb = when_appended(&mut b, 6, vec![set("title", json!("from b"))]);
    a.receive(eb.clone()).unwrap();
    b.receive(ea.clone()).unwrap();
    (a, b, [ea, eb].concat())
}

#[test]
fn register_keeps_every_concurrent_value_until_resolved() {
    let (mut a, b, _) = given_concurrent_titles();
    // Values in the total order: (lamport 1, actor 1) before (lamport 1, actor 2).
    let both = json!({"title": ["from a", "from b"], "size": [1]});
    then_value(&a, Builtin::register(), &Filter::stream("doc:1"), both.clone());
    then_value(&b, Builtin::register(), &Filter::stream("doc:1"), both);
    // latest picks the last in the total order, the same on both replicas.
    then_value(&b, Builtin::latest(), &Filter::stream("doc:1"), json!({"title": "from b", "size": 1}));

    when_appended(&mut a, 7, vec![set("title", json!("merged"))]);
    then_value(&a, Builtin::register(), &Filter::stream("doc:1"), json!({"title": ["merged"], "size": [1]}));
    // The register agrees with the log's own conflict tracking.
    let state = a.fold(&Register, &Filter::stream("doc:1"));
    let heads: Vec<EventId> = state.0["title"].iter().map(|(id, _)| *id).collect();
    let current: Vec<EventId> = a.current("doc:1", "title").iter().map(|e| e.id()).collect();
    assert_eq!(heads, current);
}

#[test]
fn a_fold_at_a_version_sees_the_log_as_it_was() {
    let (mut a, _, _) = given_concurrent_titles();
    let before = a.version().clone();
    when_appended(&mut a, 7, vec![set("title", json!("merged")), set("size", json!(2))]);
    let at = Filter::stream("doc:1").at(At::Version(before));
    then_value(&a, Builtin::register(), &at, json!({"title": ["from a", "from b"], "size": [1]}));
    then_value(&a, Builtin::count(), &at, json!(3));
    then_value(&a, Builtin::count(), &Filter::stream("doc:1"), json!(5));
}

#[test]
fn a_fold_at_a_time_sees_events_at_or_before_it() {
    let mut log = given_log(1);
    for (now, qty) in [(100, 1), (200, 10), (300, 100)] {
        when_appended(&mut log, now, vec![item(json!({"sku": "sock", "qty": qty}))]);
    }
    let at = |t| Filter::stream("cart:1").at(At::Time(t));
    then_value(&log, Builtin::sum("qty"), &at(99), json!(0));
    then_value(&log, Builtin::sum("qty"), &at(200), json!(11));
    then_value(&log, Builtin::group_sum("sku", "qty"), &at(299), json!({"sock": 11}));
    then_value(&log, Builtin::sum("qty"), &at(u64::MAX), json!(111));
    assert_eq!(log.fold(&Count, &at(250)), 2);
}

/// Event by event, through `Fold::apply` only (no column cache).
fn by_hand<F: Fold>(log: &Log, fold: &F, filter: &Filter) -> F::State {
    let mut state = fold.init();
    for e in log.events(filter) {
        fold.apply(&mut state, e, log);
    }
    state
}

#[test]
fn the_column_fast_path_is_bit_identical_to_event_by_event() {
    let mut log = given_log(1);
    let qtys = [0.1, 0.2, 0.3, 1e16, 1.0, -1e16, 0.7, 3.3, 1e-3, 2.5];
    for (i, q) in qtys.iter().cycle().take(200).enumerate() {
        let sku = ["a", "b", "c"][i % 3];
        when_appended(&mut log, i as u64, vec![item(json!({"sku": sku, "qty": q}))]);
        if i % 7 == 0 {
            log.clear_fold_cache(); // also rebuilt from any point
        }
        for filter in [Filter::default(), Filter::stream("cart:1").limit(i / 2)] {
            let sum = Sum::new("qty");
            assert_eq!(log.fold(&sum, &filter).0.to_bits(), by_hand(&log, &sum, &filter).0.to_bits());
            let g = GroupSum::new("sku", "qty");
            let (fast, slow) = (log.fold(&g, &filter), by_hand(&log, &g, &filter));
            let bits = |s: &everlog::fold::GroupSumState| {
                s.sorted().into_iter().map(|(k, v)| (k.to_owned(), v.to_bits())).collect::<Vec<_>>()
            };
            assert_eq!(bits(&fast), bits(&slow));
            assert_eq!(log.fold(&Count, &filter), by_hand(&log, &Count, &filter));
        }
    }
}

#[test]
fn more_fields_than_cached_columns_still_fold_right() {
    let mut log = given_log(1);
    for round in 0..5u64 {
        let data =
            json!({"a": round, "b": 2 * round, "c": 3, "d": -1, "e": 0.5, "k1": "x", "k2": round % 2, "k3": true});
        when_appended(&mut log, round, vec![item(data.clone()), item(data)]);
        for f in ["a", "b", "c", "d", "e"] {
            let sum = Sum::new(f);
            assert_eq!(log.fold(&sum, &Filter::default()), by_hand(&log, &sum, &Filter::default()), "{f}");
        }
        for k in ["k1", "k2", "k3"] {
            let g = GroupSum::new(k, ["a", "e"][round as usize % 2]);
            assert_eq!(log.fold(&g, &Filter::default()), by_hand(&log, &g, &Filter::default()), "{k}");
        }
    }
}
