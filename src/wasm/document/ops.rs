//! Arguments of `Document` methods, read from JavaScript, and document errors written back.
//!
//! Paths are arrays of map keys (strings) and list indexes (non-negative integers); values
//! are JSON. Like the rest of the package, arguments cross as one `JSON.stringify` each
//! (docs/js-interop.md). A wrong *shape* (a path that is not an array, an unknown op) is a
//! `TypeError`; a well-formed path that does not fit the document (no such key, not a
//! text) is a `DocumentError` (`code` "DOCUMENT", `reason` "BAD_PATH").

use js_sys::JSON;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::super::errors::type_error;
use crate::core::VersionVector;
use crate::documents::{DocError, Editor, PathSeg};

#[wasm_bindgen(module = "/js/document-error.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeDocumentError)]
    fn make_document_error(reason: &str, message: &str, path: Option<String>, event: Option<String>) -> JsValue;
}

/// The `DocumentError` an edit rejects with when the document dropped it before it was
/// appended: rebuilt from the log, which holds another change of this actor there.
pub fn dropped_error() -> JsValue {
    let msg = "the edit was dropped before it was saved: the log holds another change of this actor \
               where its change would go, and the document was rebuilt from the log";
    make_document_error("DROPPED", msg, None, None)
}

/// The `DocumentError` for a document failure.
pub fn doc_error(e: &DocError) -> JsValue {
    let msg = e.to_string();
    match e {
        DocError::BadPath { path, .. } => make_document_error("BAD_PATH", &msg, Some(path.clone()), None),
        DocError::BadChange { id, .. } => make_document_error("BAD_CHANGE", &msg, None, Some(id.to_string())),
        DocError::Automerge(_) => make_document_error("AUTOMERGE", &msg, None, None),
        // Snapshots are not exposed to JavaScript yet (native only).
        DocError::BadSnapshot(_) => make_document_error("BAD_SNAPSHOT", &msg, None, None),
    }
}

/// One edit of `doc.change([...])`: `{ op: "put", path, value }`, …
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum Op {
    Put {
        path: Vec<PathSeg>,
        value: serde_json::Value,
    },
    PutText {
        path: Vec<PathSeg>,
        text: String,
    },
    Delete {
        path: Vec<PathSeg>,
    },
    Insert {
        path: Vec<PathSeg>,
        index: usize,
        value: serde_json::Value,
    },
    #[serde(rename_all = "camelCase")]
    Splice {
        path: Vec<PathSeg>,
        index: usize,
        delete_count: usize,
        text: String,
    },
}

impl Op {
    /// Applies the edit inside one change.
    pub fn apply(&self, e: &mut Editor<'_>) -> Result<(), DocError> {
        match self {
            Op::Put { path, value } => e.put(path, value),
            Op::PutText { path, text } => e.put_text(path, text),
            Op::Delete { path } => e.delete(path),
            Op::Insert { path, index, value } => e.insert(path, *index, value),
            Op::Splice { path, index, delete_count, text } => e.splice_text(path, *index, *delete_count, text),
        }
    }
}

/// `JSON.stringify(v)` parsed as `T`; `what` names the argument in the `TypeError`.
fn from_js<T: for<'de> Deserialize<'de>>(v: &JsValue, what: &str) -> Result<T, JsValue> {
    let text = if v.is_undefined() { None } else { JSON::stringify(v).ok().and_then(|s| s.as_string()) };
    let text = text.ok_or_else(|| type_error(&format!("{what} must be JSON-serializable")))?;
    serde_json::from_str(&text).map_err(|e| type_error(&format!("bad {what}: {e}")))
}

/// A path: `["items", 0, "title"]` (`[]` is the root).
pub fn path(v: &JsValue) -> Result<Vec<PathSeg>, JsValue> {
    if !js_sys::Array::is_array(v) {
        return Err(type_error("a document path is an array of keys (strings) and indexes (numbers)"));
    }
    from_js(v, "path")
}

/// A JSON value to write (`undefined` is not JSON: a `TypeError`).
pub fn value(v: &JsValue) -> Result<serde_json::Value, JsValue> {
    from_js(v, "value")
}

/// The edits of `change(ops)`.
pub fn ops(v: &JsValue) -> Result<Vec<Op>, JsValue> {
    if !js_sys::Array::is_array(v) {
        return Err(type_error("change expects an array of edits ({ op: \"put\", path, value }, …)"));
    }
    from_js(v, "edit")
}

/// An index or count: a non-negative integer.
pub fn index(v: f64, what: &str) -> Result<usize, JsValue> {
    if v >= 0.0 && v.fract() == 0.0 && v <= 9007199254740991.0 {
        Ok(v as usize)
    } else {
        Err(type_error(&format!("{what} must be a non-negative integer")))
    }
}

/// A log version `{ [actor]: seq }`, as `log.version()` returns it.
pub fn version(v: &JsValue) -> Result<VersionVector, JsValue> {
    if !v.is_object() {
        return Err(type_error("a version is an object { [actor]: seq } (see log.version())"));
    }
    from_js(v, "version")
}
