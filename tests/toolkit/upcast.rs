use everlog::fold::Count;
use everlog::toolkit::upcast::schema_version;
use everlog::toolkit::{Upcasted, Upcasters};
use everlog::{AppendOptions, Causality, Draft, EventRef, Filter, Fold, Log};
use serde_json::{json, Value};

use super::ME;

/// Collects the (type, data, schema) of every event it folds.
struct Seen;

impl Fold for Seen {
    type State = Vec<(String, Value, u32)>;
    fn init(&self) -> Self::State {
        Vec::new()
    }
    fn apply(&self, state: &mut Self::State, e: EventRef<'_>, _: &dyn Causality) {
        state.push((e.kind().to_string(), e.data_value().unwrap(), schema_version(e)));
    }
}

/// v1 `{name}` → v2 `{first, last}` → v3 renamed `PersonRenamed` with `{full}`.
fn upcasters() -> Upcasters {
    let mut up = Upcasters::new();
    up.register("NameSet", 1, |mut s| {
        let name = s.data["name"].as_str().unwrap_or("").to_owned();
        let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
        s.data = json!({ "first": first, "last": last });
        s
    })
    .register("NameSet", 2, |mut s| {
        s.kind = "PersonRenamed".into();
        s.data =
            json!({ "full": format!("{} {}", s.data["first"].as_str().unwrap(), s.data["last"].as_str().unwrap()) });
        s
    });
    up
}

fn history() -> Log {
    let mut log = Log::new(ME);
    let v1 = Draft::new("p", "NameSet", json!({ "name": "Ada Lovelace" }));
    let v2 = Draft::new("p", "NameSet", json!({ "first": "Grace", "last": "Hopper" })).meta("schema", "2");
    let v3 = Draft::new("p", "PersonRenamed", json!({ "full": "Alan Turing" })).meta("schema", "3");
    log.append(vec![v1, v2, v3], &AppendOptions::default(), 1).unwrap();
    log
}

#[test]
fn folds_see_every_event_in_the_newest_shape() {
    // Given events stored at schema versions 1, 2 and 3
    let log = history();
    let stored = log.fold(&Seen, &Filter::default());
    // When folded through the upcasters
    let up = upcasters();
    let seen = log.fold(&Upcasted::new(Seen, &up), &Filter::default());
    // Then all three have the newest type, data and schema
    let full = |n: &str| ("PersonRenamed".to_owned(), json!({ "full": n }), 3);
    assert_eq!(seen, vec![full("Ada Lovelace"), full("Grace Hopper"), full("Alan Turing")]);
    // And the stored events are unchanged
    assert_eq!(log.fold(&Seen, &Filter::default()), stored);
    assert_eq!(stored[0], ("NameSet".to_owned(), json!({ "name": "Ada Lovelace" }), 1));
}

#[test]
fn an_event_without_an_upcaster_is_borrowed_unchanged() {
    // Given an event of a type no upcaster knows
    let mut log = Log::new(ME);
    log.append(vec![Draft::new("x", "Other", json!({ "a": 1 }))], &AppendOptions::default(), 1).unwrap();
    let e = log.iter().next().unwrap();
    // When upcast, then it is the same event, not a copy
    assert!(upcasters().upcast(e).is_none());
    // And a wrapped built-in fold counts the same
    let up = upcasters();
    assert_eq!(log.fold(&Upcasted::new(Count, &up), &Filter::default()), log.fold(&Count, &Filter::default()));
}

#[test]
fn a_payload_without_a_json_value_is_seen_as_stored() {
    // Given an old-schema event whose payload is valid JSON text that serde_json's `Value`
    // cannot hold (a number beyond f64)
    let mut log = Log::new(ME);
    let mut draft = Draft::new("x", "NameSet", json!(null));
    draft.data = r#"{"name":1e400}"#.to_owned();
    log.append(vec![draft], &AppendOptions::default(), 1).unwrap();
    let e = log.iter().next().unwrap();
    assert!(e.data_value().is_err());
    // When upcast, then it is left as stored rather than panicking
    assert!(upcasters().upcast(e).is_none());
}
