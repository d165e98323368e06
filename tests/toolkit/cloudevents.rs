use everlog::codec::encode_log;
use everlog::store::{block_on, MemoryStorage, Replica};
use everlog::toolkit::cloudevents::parse_cloudevents;
use everlog::toolkit::{
    export_cloudevents, import_cloudevents, import_cloudevents_replica, ExportOptions, ToolkitError,
};
use everlog::{ActorId, AppendOptions, Draft, Error, Filter, InvalidEvent, Log};
use serde_json::{json, Value};

use super::{sync, ME, PEER};

/// A log with two actors, causal dependencies, keys, meta, idempotency keys, unicode and
/// a pretty-printed payload (with line breaks).
fn rich_log() -> Log {
    let mut me = Log::new(ME);
    let mut peer = Log::new(PEER);
    let opts = AppendOptions::default();
    me.append(
        vec![
            Draft::new("cart:1", "ItemAdded", json!({ "sku": "é-1", "qty": 2 })).key("é-1"),
            Draft::new("cart:1", "Note", json!(null)).meta("schema", "2").meta("corr", "x y"),
        ],
        &opts,
        1_700_000_000_123,
    )
    .unwrap();
    peer.append(vec![Draft::new("cart:1", "ItemAdded", json!({ "sku": "b" })).key("é-1")], &opts, 1_700_000_000_500)
        .unwrap();
    sync(&peer, &mut me);
    sync(&me, &mut peer);
    let pretty =
        Draft { data: "{\n  \"b\" : 1,\n  \"a\": [1.50, 2e3]\n}".into(), ..Draft::new("cart:2", "Raw", json!(0)) };
    peer.append(vec![pretty.idempotency_key("k-1")], &opts, 1_700_000_001_000).unwrap();
    sync(&peer, &mut me);
    me.append(vec![Draft::new("cart:1", "Checkout", json!({}))], &opts, 5).unwrap();
    me
}

#[test]
fn an_exported_then_imported_log_is_identical() {
    // Given a log with concurrency, deps, keys, meta and odd payloads
    let log = rich_log();
    // When it is exported and imported into an empty log of another actor
    let text = export_cloudevents(&log, &Filter::default(), &ExportOptions::default()).unwrap();
    let mut copy = Log::new(ActorId::from_u128(0xC));
    let received = import_cloudevents(&mut copy, &text).unwrap();
    // Then every event applied and the logs are identical, byte for byte
    assert_eq!((received.applied.len(), received.pending), (log.len(), 0));
    assert_eq!(encode_log(&copy), encode_log(&log));
    // And importing again changes nothing (it merges like a sync)
    let again = import_cloudevents(&mut copy, &text).unwrap();
    assert_eq!((again.applied.len(), again.duplicates), (0, log.len()));
}

#[test]
fn each_line_is_a_cloudevent_with_the_spec_attributes() {
    // Given a rich log exported with a source
    let log = rich_log();
    let opts = ExportOptions { source: Some("https://shop.example/carts".into()) };
    let text = export_cloudevents(&log, &Filter::stream("cart:1").with_type("ItemAdded"), &opts).unwrap();
    // Then there is one JSON object per line with the required attributes
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["specversion"], "1.0");
    assert_eq!(first["source"], "https://shop.example/carts");
    assert_eq!(first["type"], "ItemAdded");
    assert_eq!(first["subject"], "cart:1");
    assert_eq!(first["time"], "2023-11-14T22:13:20.123Z");
    assert_eq!(first["datacontenttype"], "application/json");
    assert_eq!(first["data"], json!({ "sku": "é-1", "qty": 2 }));
    assert_eq!(first["everlogkey"], "é-1");
    assert_eq!(first["id"], format!("1@{ME}"));
    // And every attribute name is lowercase alphanumeric (data_base64 is the spec's own)
    for l in &lines {
        for k in l.as_object().unwrap().keys() {
            assert!(k == "data_base64" || k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{k}");
        }
    }
    // And the pretty-printed payload travels as data_base64 so the line stays one line
    let all = export_cloudevents(&log, &Filter::default().with_type("Raw"), &ExportOptions::default()).unwrap();
    assert_eq!(all.lines().count(), 1);
    assert!(all.contains("\"data_base64\""));
}

#[test]
fn a_malformed_line_is_a_typed_error_with_its_number_and_changes_nothing() {
    // Given a valid export with a damaged third line (and a blank line before it)
    let log = rich_log();
    let text = export_cloudevents(&log, &Filter::default(), &ExportOptions::default()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.insert(1, String::new());
    for (bad, why) in [
        (lines[2].replace("\"time\":\"2023", "\"time\":\"20x3"), "time"),
        (lines[2].replace("\"specversion\":\"1.0\"", "\"specversion\":\"0.3\""), "specversion"),
        ("{not json".to_owned(), "not a CloudEvent"),
        (lines[2].replace("\"id\":\"", "\"id\":\"x"), "id"),
    ] {
        let mut damaged = lines.clone();
        damaged[2] = bad;
        let mut copy = Log::new(ActorId::from_u128(0xC));
        // When it is imported
        let err = import_cloudevents(&mut copy, &damaged.join("\n")).unwrap_err();
        // Then the error names line 3 and the log is untouched
        match err {
            ToolkitError::Import { line, reason } => assert!(line == 3 && reason.contains(why), "{line}: {reason}"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(copy.is_empty());
    }
}

#[test]
fn an_import_is_validated_like_a_sync() {
    // Given an export whose event claims a lamport clock that breaks causality
    let log = rich_log();
    let text = export_cloudevents(&log, &Filter::default(), &ExportOptions::default()).unwrap();
    let mut events = parse_cloudevents(&text).unwrap();
    let last = events.len() - 1;
    events[last].lamport = 1;
    let forged: String = events
        .iter()
        .map(|e| everlog::toolkit::cloudevents::to_cloudevent(e.view(), &ExportOptions::default()).unwrap() + "\n")
        .collect();
    // When imported into a replica
    let mut replica = block_on(Replica::open(MemoryStorage::new(), Some(ActorId::from_u128(0xC)))).unwrap();
    let err = block_on(import_cloudevents_replica(&mut replica, &forged)).unwrap_err();
    // Then it is refused as a sync would refuse it, and nothing is stored or applied
    assert!(matches!(err, ToolkitError::Log(Error::Invalid(InvalidEvent::BadLamport { .. }))), "{err:?}");
    assert!(replica.log().is_empty());
    // And the intact export imports fine into the same replica
    let ok = block_on(import_cloudevents_replica(&mut replica, &text)).unwrap();
    assert_eq!(ok.applied.len(), last + 1);
}

#[test]
fn attributes_are_read_by_name_with_their_exact_data_text() {
    // Given a hand-written CloudEvent with spacing inside data, unknown and null attributes
    let id = format!("1@{ME}");
    let line = format!(
        r#"{{"x":[1,{{"y":2}}],"data" :  {{"b" : 1.50}} ,"type":"T","specversion":"1.0","id":"{id}","source":"s",
"subject":"s:1","time":"2023-11-14T22:13:20.123Z","everloglamport":1,"everlogkey":null}}"#
    )
    .replace('\n', "");
    // When it is parsed
    let events = parse_cloudevents(&line).unwrap();
    // Then data keeps its text byte for byte, null reads as absent, unknown attributes are ignored
    assert_eq!(&*events[0].data, r#"{"b" : 1.50}"#);
    assert_eq!((&*events[0].kind, &*events[0].stream, events[0].key.is_none()), ("T", "s:1", true));
    // And a repeated attribute, a missing required one or a wrongly typed one is refused
    for (bad, why) in [
        (line.replace(r#""type":"T""#, r#""type":"T","type":"U""#), "duplicate field `type`"),
        (line.replace(r#""source":"s","#, ""), "missing field `source`"),
        (line.replace(r#""subject":"s:1""#, r#""subject":5"#), "subject"),
        ("[1]".to_owned(), "not a CloudEvent"),
    ] {
        match parse_cloudevents(&bad).unwrap_err() {
            ToolkitError::Import { line: 1, reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn integers_and_meta_are_read_from_their_raw_text() {
    // Given a minimal hand-written CloudEvent whose lamport clock and meta vary
    let id = format!("7@{ME}");
    let line = |lamport: &str, extra: &str| {
        format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"s","type":"T","subject":"s:1","time":"2023-11-14T22:13:20Z","everloglamport":{lamport}{extra}}}"#
        )
    };
    let parse = |text: String| parse_cloudevents(&text).map(|mut v| v.remove(0));
    // Then integers are taken as strings or JSON numbers, and the seq must agree with the id
    assert_eq!(parse(line("9", "")).unwrap().lamport, 9);
    assert_eq!(parse(line(r#""18446744073709551615""#, "")).unwrap().lamport, u64::MAX);
    assert_eq!(parse(line("3", r#","everlogseq":"7""#)).unwrap().id.seq, 7);
    // And an escaped meta object of strings is decoded (keys and values)
    let e = parse(line("3", r#","everlogmeta":"{\"sch\\u0065ma\":\"2\",\"q\":\"a\\\"b\"}""#)).unwrap();
    assert_eq!(
        (e.meta().get("schema").map(String::as_str), e.meta().get("q").map(String::as_str)),
        (Some("2"), Some("a\"b"))
    );
    // And anything else is refused with a reason naming the attribute
    for (lamport, extra, why) in [
        ("-1", "", "everloglamport is not a non-negative integer"),
        ("1.5", "", "everloglamport is not a non-negative integer"),
        ("18446744073709551616", "", "everloglamport is not a non-negative integer"),
        (r#""18446744073709551616""#, "", "everloglamport is out of range"),
        (r#""1x""#, "", "everloglamport is not an integer"),
        ("true", "", "everloglamport is not an integer"),
        ("null", "", "everloglamport is missing"),
        ("3", r#","everlogseq":8"#, "everlogseq disagrees with id"),
        ("3", r#","everlogmeta":"{\"a\":1}""#, "everlogmeta is not a JSON object of strings"),
        ("3", r#","everlogmeta":"[1]""#, "everlogmeta is not a JSON object of strings"),
        ("3", r#","everlogmeta":{"a":"b"}"#, "everlogmeta: invalid type"),
        ("3", r#","x":[1,}"#, "not a CloudEvent"),
    ] {
        match parse(line(lamport, extra)).unwrap_err() {
            ToolkitError::Import { line: 1, reason } => assert!(reason.contains(why), "{lamport} {extra}: {reason}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
