//! `Document`: collaborative JSON documents for JavaScript (feature `documents`, the
//! package's `everlog/docs` entry). Built on [`crate::documents::Document`]; this file
//! is the JS face and the glue to the log's write path.
//!
//! - One document per (log, stream): `Document.open(log, stream)` (or `log.document(stream)`)
//!   returns a handle on the same state when the stream is already open, because two
//!   automerge states writing as the same actor would both write change n+1.
//! - Every edit (`put`, `delete`, `insert`, `splice`, `putText`, or a batch `change([...])`)
//!   becomes one change, appended as one event. The change is built *when the method is
//!   called*, on the document the caller sees, so positions (`splice`, `insert`) mean what
//!   the caller read even when a remote change is saved before this one; `toJSON()` shows
//!   it at once. It takes its turn for the log's write lock at the same moment, so changes
//!   reach the log in the order they were made. If an append fails, the document is rebuilt
//!   from the log (it never keeps a change the log does not hold), the promise rejects with
//!   the log's error, and so do the edits queued behind it (each was built on the failed
//!   one). A subscriber may already have seen the patches of a change that then failed (only
//!   when a remote change was applied while it waited): after a rejected edit, read the
//!   document again.
//! - The state is an [`Observer`] of the log: after every commit (local append, another
//!   tab, a `Peer`, the relay) that touches the stream, it applies the stream's new events
//!   and, when someone subscribed, hands them automerge's patches of what changed (local
//!   edits included). Without subscribers it only marks the document stale and applies
//!   them on its next read or edit: automerge walks the whole text object to apply a
//!   remote change, however small, so applying per sync message made every received
//!   message cost the size of the document; deferred, one apply covers every message
//!   received since (docs/documents.md, "Browser: `docFriends`"). Readers cannot tell the
//!   difference: every read and edit sees every committed event.
//! - Text positions count UTF-16 code units, like JavaScript strings.

mod ops;
mod types;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use super::convert;
use super::errors::type_error;
use super::event_log::EventLog;
use super::shared::{report, Observer, Shared};
use super::task::promise;
use crate::core::{AppendOptions, Event};
use crate::documents::{Document as CoreDocument, PathSeg, TextEncoding};
use ops::{doc_error, Op};

/// The state behind every handle on one document.
pub struct DocState {
    stream: String,
    doc: RefCell<CoreDocument>,
    listeners: RefCell<Vec<(u32, Function)>>,
    next_listener: Cell<u32>,
    /// Bumped when a failed append made the document drop its unsaved changes; an edit
    /// built in an earlier epoch is refused with `failure`, the error that caused it.
    epoch: Cell<u64>,
    failure: RefCell<JsValue>,
    /// The log holds events of the stream that `doc` has not applied yet (set instead of
    /// applying them while nobody subscribed; see the module docs).
    stale: Cell<bool>,
}

impl Observer for DocState {
    fn on_events(&self, shared: &Shared, applied: &[Event]) {
        if !applied.iter().any(|e| *e.stream == *self.stream) {
            return;
        }
        if self.listeners.borrow().is_empty() {
            self.stale.set(true);
            return;
        }
        self.refresh(shared);
        let patches = self.doc.borrow_mut().take_patches();
        self.notify(&patches);
    }
}

impl DocState {
    /// Applies the stream's events that the document has not applied yet (all of them in
    /// one automerge apply). Called before every read and edit, and on every commit while
    /// someone subscribed. A change automerge refuses is reported, as it was when applied
    /// at once; the document then goes on without it.
    fn refresh(&self, shared: &Shared) {
        self.stale.set(false);
        let mut doc = self.doc.borrow_mut();
        if let Err(e) = doc.update(&shared.log.borrow()) {
            report(&doc_error(&e));
        }
    }

    /// [`refresh`](Self::refresh) if events arrived since the last one.
    fn fresh(&self, shared: &Shared) {
        if self.stale.get() {
            self.refresh(shared);
        }
    }

    fn notify(&self, patches: &[serde_json::Value]) {
        if patches.is_empty() {
            return;
        }
        let listeners: Vec<Function> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
        let js = convert::to_js_value(&patches);
        for f in listeners {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &js) {
                report(&e);
            }
        }
    }

    /// After a change could not be appended: every edit built since is void (`err`), and
    /// the document is rebuilt from the log.
    fn fail(&self, shared: &Shared, err: &JsValue) {
        self.epoch.set(self.epoch.get() + 1);
        *self.failure.borrow_mut() = err.clone();
        self.reload(shared);
    }

    /// Rebuilds the document from the log.
    fn reload(&self, shared: &Shared) {
        self.stale.set(false);
        let mut doc = self.doc.borrow_mut();
        if let Err(e) = doc.reload(&shared.log.borrow()) {
            report(&doc_error(&e));
        }
        if !self.listeners.borrow().is_empty() {
            doc.track_patches();
        }
    }
}

/// The open document of `stream`, or a new one registered as an observer of the log.
fn open_state(shared: &Rc<Shared>, stream: String) -> Result<Rc<DocState>, JsValue> {
    shared.check_open()?;
    if stream.is_empty() {
        return Err(type_error("a document needs a stream name"));
    }
    let open: Vec<Rc<dyn Observer>> = shared.observers.borrow().iter().filter_map(Weak::upgrade).collect();
    for o in open {
        let any: Rc<dyn std::any::Any> = o;
        if let Ok(state) = any.downcast::<DocState>() {
            if state.stream == stream {
                return Ok(state);
            }
        }
    }
    let doc = CoreDocument::open_with(&shared.log.borrow(), &stream, TextEncoding::Utf16CodeUnit)
        .map_err(|e| doc_error(&e))?;
    let state = Rc::new(DocState {
        stream,
        doc: RefCell::new(doc),
        listeners: RefCell::new(Vec::new()),
        next_listener: Cell::new(0),
        epoch: Cell::new(0),
        failure: RefCell::new(JsValue::UNDEFINED),
        stale: Cell::new(false),
    });
    let weak: Weak<dyn Observer> = Rc::downgrade(&state) as Weak<dyn Observer>;
    shared.observers.borrow_mut().push(weak);
    Ok(state)
}

/// A collaborative JSON document stored in one stream of a log.
#[wasm_bindgen(js_name = Document, skip_typescript)]
pub struct JsDocument {
    state: Rc<DocState>,
    shared: Rc<Shared>,
}

impl JsDocument {
    fn open_in(shared: &Rc<Shared>, stream: String) -> Promise {
        let shared = shared.clone();
        promise(async move {
            let state = open_state(&shared, stream)?;
            Ok(JsDocument { state, shared }.into())
        })
    }

    /// Runs `ops` as one change now and appends it as one event in its turn; resolves with
    /// the event, or `null` when the edits changed nothing.
    fn edit(&self, ops: Result<Vec<Op>, JsValue>) -> Promise {
        let built = ops.and_then(|ops| {
            self.shared.check_open()?;
            self.state.fresh(&self.shared);
            let log = self.shared.log.borrow();
            let mut doc = self.state.doc.borrow_mut();
            doc.edit(&log, |e| ops.iter().try_for_each(|op| op.apply(e))).map_err(|e| doc_error(&e))
        });
        // The ticket is taken now, so edits are appended in the order they were made. It
        // must be awaited before anything else: an abandoned ticket would stall the lock.
        let turn = self.shared.lock.lock();
        let epoch = self.state.epoch.get();
        let (shared, state) = (self.shared.clone(), self.state.clone());
        promise(async move {
            let guard = turn.await;
            let Some(draft) = built? else { return Ok(JsValue::NULL) };
            if state.epoch.get() != epoch {
                return Err(state.failure.borrow().clone());
            }
            if let Err(e) = shared.check_open() {
                state.fail(&shared, &e);
                return Err(e);
            }
            match shared.append_locked(guard, vec![draft], AppendOptions::default()).await {
                Ok(events) => Ok(events.first().map_or(JsValue::NULL, |e| convert::event_to_js(e.view()))),
                Err(e) => {
                    // Not in the log, so not in the document either.
                    state.fail(&shared, &e);
                    Err(e)
                }
            }
        })
    }

    /// The document, with every committed event of its stream applied.
    fn doc(&self) -> Result<std::cell::Ref<'_, CoreDocument>, JsValue> {
        self.shared.check_open()?;
        self.state.fresh(&self.shared);
        Ok(self.state.doc.borrow())
    }
}

#[wasm_bindgen(js_class = Document)]
impl JsDocument {
    /// Opens the document kept in `stream` of `log` (the same state if already open).
    pub fn open(log: &EventLog, stream: String) -> Promise {
        JsDocument::open_in(&log.shared, stream)
    }

    /// The stream holding the document's changes.
    #[wasm_bindgen(getter)]
    pub fn stream(&self) -> String {
        self.state.stream.clone()
    }

    /// The document as plain JSON (texts as strings).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        Ok(convert::to_js_value(&self.doc()?.to_json()))
    }

    /// The string of the text at `path`.
    pub fn text(&self, path: JsValue) -> Result<String, JsValue> {
        let path = ops::path(&path)?;
        self.doc()?.text(&path).map_err(|e| doc_error(&e))
    }

    /// Sets a map key or replaces a list element (objects and arrays become nested maps and lists).
    pub fn put(&self, path: JsValue, value: JsValue) -> Promise {
        self.edit((|| Ok(vec![Op::Put { path: ops::path(&path)?, value: ops::value(&value)? }]))())
    }

    /// Creates (or replaces) a collaborative text at `path`.
    #[wasm_bindgen(js_name = putText)]
    pub fn put_text(&self, path: JsValue, text: String) -> Promise {
        self.edit(ops::path(&path).map(|path| vec![Op::PutText { path, text }]))
    }

    /// Removes a map key or a list element.
    pub fn delete(&self, path: JsValue) -> Promise {
        self.edit(ops::path(&path).map(|path| vec![Op::Delete { path }]))
    }

    /// Inserts a value into the list at `path`, at `index`.
    pub fn insert(&self, path: JsValue, index: f64, value: JsValue) -> Promise {
        self.edit((|| {
            Ok(vec![Op::Insert {
                path: ops::path(&path)?,
                index: ops::index(index, "index")?,
                value: ops::value(&value)?,
            }])
        })())
    }

    /// Deletes `deleteCount` characters at `index` of the text at `path`, inserts `text` there.
    pub fn splice(&self, path: JsValue, index: f64, delete_count: f64, text: String) -> Promise {
        self.edit((|| {
            Ok(vec![Op::Splice {
                path: ops::path(&path)?,
                index: ops::index(index, "index")?,
                delete_count: ops::index(delete_count, "deleteCount")?,
                text,
            }])
        })())
    }

    /// Several edits as one change, one event: all or nothing.
    pub fn change(&self, edits: JsValue) -> Promise {
        self.edit(ops::ops(&edits))
    }

    /// Calls `listener(patches)` after every change, local or remote; returns an unsubscribe function.
    pub fn subscribe(&self, listener: Function) -> Result<Function, JsValue> {
        self.shared.check_open()?;
        if self.state.listeners.borrow().is_empty() {
            // Patches start from the document as it is now, every committed event included.
            self.state.fresh(&self.shared);
            self.state.doc.borrow_mut().track_patches();
        }
        let id = self.state.next_listener.get();
        self.state.next_listener.set(id + 1);
        self.state.listeners.borrow_mut().push((id, listener));
        let weak = Rc::downgrade(&self.state);
        Ok(Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
        .into_js_value()
        .unchecked_into())
    }

    /// Properties holding concurrent values (under `path`, if given), each value with the
    /// event that wrote it: `[{ path, values: [{ value, event, actor, time }] }]`.
    pub fn conflicts(&self, path: JsValue) -> Result<JsValue, JsValue> {
        let under: Vec<PathSeg> = if path.is_undefined() || path.is_null() { Vec::new() } else { ops::path(&path)? };
        let log = self.shared.log.borrow();
        let all = self.doc()?.conflicts(&log).map_err(|e| doc_error(&e))?;
        let found: Vec<_> = all.into_iter().filter(|c| c.path.starts_with(&under)).collect();
        Ok(convert::to_js_value(&found))
    }

    /// Every conflict the document ever had and the event that resolved it (the same on
    /// every replica): `[{ path, siblings, resolvedBy }]`.
    #[wasm_bindgen(js_name = conflictHistory)]
    pub fn conflict_history(&self) -> Result<JsValue, JsValue> {
        let log = self.shared.log.borrow();
        let history = self.doc()?.conflict_history(&log).map_err(|e| doc_error(&e))?;
        Ok(convert::to_js_value(&history))
    }

    /// The document as it was at a past version of the log (`log.version()` then).
    pub fn at(&self, version: JsValue) -> Result<JsValue, JsValue> {
        let v = ops::version(&version)?;
        Ok(convert::to_js_value(&self.doc()?.at(&v).map_err(|e| doc_error(&e))?))
    }

    /// The patches that lead from the document at version `from` to the one at `to`.
    pub fn diff(&self, from: JsValue, to: JsValue) -> Result<JsValue, JsValue> {
        let (from, to) = (ops::version(&from)?, ops::version(&to)?);
        Ok(convert::to_js_value(&self.doc()?.diff(&from, &to)))
    }

    /// Change events of the stream that could not be read (skipped), as `DocumentError`s.
    #[wasm_bindgen(getter)]
    pub fn rejected(&self) -> Array {
        self.state.fresh(&self.shared);
        self.state.doc.borrow().rejected().iter().map(doc_error).collect()
    }
}

#[wasm_bindgen]
impl EventLog {
    /// `Document.open(this, stream)`.
    pub fn document(&self, stream: String) -> Promise {
        JsDocument::open_in(&self.shared, stream)
    }
}
