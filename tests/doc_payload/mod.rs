//! The property behind the `doc_payload` fuzz target (fuzz/fuzz_targets/doc_payload.rs) and
//! its seeded run in `cargo test` (tests/documents_payload_props.rs): a document change
//! event whose payload is arbitrary bytes, in the compact (format 0xC1) or the legacy shape,
//! from the document's own actor, a known one or a stranger, is read without a panic, and
//!
//! - a payload that cannot be read is a typed error ([`DocError::BadChange`], listed by
//!   `rejected()`), changes nothing, and the document stays editable;
//! - one that reads is the same change on every read, and a compact payload's change is
//!   its event's actor's.
//!
//! `strict` also applies what reads and wants automerge to refuse it with a typed error,
//! a fresh fold of the stream to agree with the incremental update, its snapshot to open
//! into the same document, and the document to stay editable. A change that reads but does not fit the document (src/documents/fit.rs:
//! wrong actor or seq, a dependency or op id outside the event's causal past) is refused
//! before automerge sees it, as a typed error that changes nothing. The fuzz target runs
//! strict with `EVERLOG_FUZZ_STRICT=1`.
//!
//! Input: byte 0 picks who appends the event (bits 0–1) and its shape (bits 2–3: compact
//! `"<base64>"`, legacy `{"change": "<base64>"}`, or the rest verbatim as the event's JSON
//! data); the rest is the payload.
#![allow(dead_code)]

use base64::Engine;
use everlog::documents::{DocError, Document, PathSeg, CHANGE_TYPE};
use everlog::{ActorId, AppendOptions, Draft, Event, Log};

pub const STREAM: &str = "doc";

/// Three logs: `a` (whose document is checked) and `b` edited the document together and are
/// in sync; `c` knows nothing of it.
pub struct Base {
    pub a: Log,
    pub b: Log,
    pub c: Log,
}

fn give(from: &Log, to: &mut Log) {
    let events: Vec<Event> = from.missing_from(to.version()).map(|e| e.to_event()).collect();
    to.receive(events).expect("valid events");
}

fn edit(
    log: &mut Log,
    doc: &mut Document,
    now: u64,
    f: impl FnOnce(&mut everlog::documents::Editor<'_>) -> Result<(), DocError>,
) {
    let draft = doc.edit(log, f).expect("a valid edit").expect("a change");
    log.append(vec![draft], &AppendOptions::default(), now).expect("a valid draft");
    doc.update(log).expect("its own change");
}

fn seg(s: &str) -> Vec<PathSeg> {
    vec![PathSeg::from(s)]
}

impl Base {
    pub fn new() -> Base {
        let (mut a, mut b, c) =
            (Log::new(ActorId::from_u128(1)), Log::new(ActorId::from_u128(2)), Log::new(ActorId::from_u128(3)));
        let mut da = Document::open(&a, STREAM).expect("empty stream");
        edit(&mut a, &mut da, 1, |e| e.put_text(&seg("text"), "hello"));
        edit(&mut a, &mut da, 2, |e| e.put(&seg("list"), &serde_json::json!([1, {"k": "v"}])));
        give(&a, &mut b);
        let mut db = Document::open(&b, STREAM).expect("valid changes");
        edit(&mut b, &mut db, 3, |e| e.splice_text(&seg("text"), 5, 0, " world"));
        give(&b, &mut a);
        da.update(&a).expect("valid changes");
        edit(&mut a, &mut da, 4, |e| e.put(&seg("n"), &serde_json::json!(7)));
        give(&a, &mut b);
        Base { a, b, c }
    }

    /// The real payloads of the stream's events, decoded: the fuzzer's and the seeded
    /// test's starting points (compact ones; the last is a legacy change chunk).
    pub fn payloads(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = self
            .a
            .iter()
            .filter_map(|e| {
                let s: String = serde_json::from_str(e.data()).ok()?;
                base64::engine::general_purpose::STANDARD_NO_PAD.decode(s).ok()
            })
            .collect();
        let mut doc = Document::open(&self.a, STREAM).expect("valid changes").automerge().clone();
        out.extend(doc.get_changes(&[]).into_iter().map(|c| c.raw_bytes().to_vec()));
        out
    }
}

/// The event data of input `data` (see the module docs), or `None` for data the log refuses.
fn event_data(shape: u8, payload: &[u8]) -> String {
    match shape {
        0 | 1 => format!("\"{}\"", base64::engine::general_purpose::STANDARD_NO_PAD.encode(payload)),
        2 => serde_json::json!({ "change": base64::engine::general_purpose::STANDARD.encode(payload) }).to_string(),
        _ => String::from_utf8_lossy(payload).into_owned(),
    }
}

/// Runs one input against `base`; panics when a property breaks (module docs).
pub fn check(base: &Base, input: &[u8], strict: bool) {
    let Some((&head, payload)) = input.split_first() else { return };
    let shape = head >> 2 & 3;
    let mut a = base.a.clone();
    let mut doc = Document::open(&a, STREAM).expect("the base document");
    let before = doc.to_json();
    let draft = Draft {
        stream: STREAM.into(),
        kind: CHANGE_TYPE.into(),
        data: event_data(shape, payload),
        ..Default::default()
    };
    let mut from = match head & 3 {
        1 => base.b.clone(),
        2 => base.c.clone(),
        _ => a.clone(),
    };
    // Data the log refuses (not JSON) never reaches the document.
    let Ok(appended) = from.append(vec![draft], &AppendOptions::default(), 10) else { return };
    let event = appended.into_iter().next().expect("one event");
    give(&from, &mut a);

    // The decoder: a typed error or a change, the same twice.
    let decoded = doc.decode_change(&a, &event);
    match &decoded {
        Ok(change) => {
            let again = doc.decode_change(&a, &event).expect("the same payload reads the same");
            assert_eq!(again.raw_bytes(), change.raw_bytes());
            if shape < 2 {
                assert_eq!(change.actor_id().to_bytes(), event.id.actor.as_bytes().as_slice(), "not its event's actor");
            }
            if !strict {
                return;
            }
        }
        Err(e) => assert!(matches!(e, DocError::BadChange { id, .. } if *id == event.id), "{e:?}"),
    }

    let updated = doc.update(&a);
    match &updated {
        Ok(0) => {
            // Not readable, or read and does not fit the document: listed as a typed
            // error, nothing changed.
            match &decoded {
                Err(e) => assert_eq!(doc.rejected(), std::slice::from_ref(e), "an unread change is listed"),
                Ok(_) => assert!(
                    matches!(doc.rejected(), [DocError::BadChange { id, reason }]
                        if *id == event.id && reason.contains("does not fit")),
                    "a change that reads was skipped without a reason: {:?}",
                    doc.rejected()
                ),
            }
            assert_eq!(doc.to_json(), before, "a refused change changed the document");
        }
        Ok(n) => {
            assert_eq!(*n, 1, "one event, one change");
            assert!(decoded.is_ok() && doc.rejected().is_empty(), "{:?}", doc.rejected());
        }
        Err(e) => assert!(decoded.is_ok() && matches!(e, DocError::Automerge(_)), "{e:?}"),
    }
    if strict {
        // A fresh fold of the stream agrees.
        match (Document::open(&a, STREAM), &updated) {
            (Ok(fresh), Ok(_)) => {
                assert_eq!(fresh.to_json(), doc.to_json(), "the fresh fold differs");
                assert_eq!(fresh.rejected(), doc.rejected(), "the fresh fold rejects other events");
            }
            (Err(_), Err(_)) => {}
            (fresh, _) => panic!("the fresh fold ({}) and the update ({updated:?}) disagree", fresh.is_ok()),
        }
    }
    if strict && updated.is_ok() {
        // Its snapshot (automerge's save) opens into the same document (automerge 0.12
        // applies a predecessor of another object or key into a document that does not).
        let snapshot = doc.snapshot(&a).expect("a snapshot");
        let loaded = Document::open_snapshot(&a, STREAM, &snapshot).expect("the snapshot opens");
        assert_eq!(loaded.to_json(), doc.to_json(), "the snapshot opens into another document");
    }
    // The document stays editable.
    if updated.is_ok() {
        edit(&mut a, &mut doc, 11, |e| e.put(&seg("after"), &serde_json::json!(true)));
        assert_eq!(doc.to_json()["after"], serde_json::json!(true));
    }
}
