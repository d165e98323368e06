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
//!   one). A subscriber may already have heard the patches of a change that then failed
//!   (when subscribers were told of a remote change while it waited): it is told at once,
//!   with patches that undo it. The same holds when the log turns out to hold another
//!   change of this actor where a waiting edit's change would go (a forged event): the
//!   document is rebuilt from the log, the waiting edits reject with a `DocumentError`
//!   (`reason` "DROPPED"), and subscribers hear them undone with the next patches.
//! - The state is an [`Observer`] of the log. A commit that touches the stream (local
//!   append, another tab, a `Peer`, the relay) only marks the document stale; the
//!   stream's new events are applied, all of them in one automerge apply, on the next read
//!   or edit, or when subscribers are told. automerge walks the whole text object to apply
//!   a remote change, however small, so applying per received message made every message
//!   cost the size of the document (docs/documents.md, "Browser: `docFriends`"). Readers
//!   cannot tell: every read and edit sees every committed event.
//! - Subscribers (`subscribe`) get automerge's patches of what changed, in one call per
//!   batch. A commit of this tab's own edit calls them at once, before the edit's promise
//!   resolves (its patches, and those of anything received and not reported yet). Remote
//!   commits (other tabs, peers, the relay) call them once *after the current task*
//!   (`js/after-task.js`: a `MessageChannel` message, so after every microtask of the
//!   task that received them): a loop of `await peer.receiveMessage(m)` gives one call
//!   with every patch, not one per message. A read in between applies the events (and
//!   sees them); their patches still go to that one call, and no patch is handed over
//!   twice.
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
use ops::{doc_error, dropped_error, Op};

/// The state behind every handle on one document.
pub struct DocState {
    stream: String,
    doc: RefCell<CoreDocument>,
    listeners: RefCell<Vec<(u32, Function)>>,
    next_listener: Cell<u32>,
    /// Bumped when the document dropped its unsaved changes (a failed append, or a rebuild
    /// from the log after a change of this actor clashed with them); an edit built in an
    /// earlier epoch is refused with `failure`, the error that caused it.
    epoch: Cell<u64>,
    failure: RefCell<JsValue>,
    /// `doc.dropped_changes()` when last looked at.
    dropped: Cell<u64>,
    /// The log holds events of the stream that `doc` has not applied yet (set by every
    /// commit that touches the stream; see the module docs).
    stale: Cell<bool>,
    /// A [`flush`](DocState::flush) is queued for after the current task.
    scheduled: Cell<bool>,
    /// This state and its log, for the queued flush.
    me: Weak<DocState>,
    shared: Weak<Shared>,
}

#[wasm_bindgen(module = "/js/after-task.js")]
extern "C" {
    /// Calls `f` once the current task and its microtasks are over (a task of its own).
    #[wasm_bindgen(js_name = afterTask)]
    fn after_task(f: &Function);
}

impl Observer for DocState {
    fn on_events(&self, shared: &Shared, applied: &[Event]) {
        let actor = shared.log.borrow().actor();
        let mut ours = applied.iter().filter(|e| *e.stream == *self.stream).peekable();
        if ours.peek().is_none() {
            return;
        }
        let local = ours.any(|e| e.id.actor == actor);
        self.stale.set(true);
        if self.listeners.borrow().is_empty() {
            return;
        }
        if local {
            // This tab's own edit (already in the document): reported before its promise
            // resolves, together with anything received and not reported yet.
            self.flush(shared);
        } else {
            self.schedule();
        }
    }
}

impl DocState {
    /// Applies the stream's events that the document has not applied yet (all of them in
    /// one automerge apply). Called before every read and edit, and before subscribers are
    /// told. A change automerge refuses is reported, as it was when applied at once; the
    /// document then goes on without it.
    fn refresh(&self, shared: &Shared) {
        self.stale.set(false);
        let mut doc = self.doc.borrow_mut();
        if let Err(e) = doc.update(&shared.log.borrow()) {
            report(&doc_error(&e));
        }
        self.void_dropped(&doc);
    }

    /// After an update that rebuilt the document from the log (the log holds another change
    /// of this actor where a draft's change would go: a forged event, see
    /// src/documents/update.rs): the drafts it dropped are void, so the edits that wait to
    /// append them reject (as after a failed append) instead of appending a change every
    /// replica refuses. Subscribers hear the dropped edits undone with the next patches.
    fn void_dropped(&self, doc: &CoreDocument) {
        let now = doc.dropped_changes();
        if self.dropped.replace(now) != now {
            self.epoch.set(self.epoch.get() + 1);
            *self.failure.borrow_mut() = dropped_error();
        }
    }

    /// [`refresh`](Self::refresh) if events arrived since the last one.
    fn fresh(&self, shared: &Shared) {
        if self.stale.get() {
            self.refresh(shared);
        }
    }

    /// Brings the document up to date and hands everything that changed since the last
    /// call (received, local, applied by a read in between) to the subscribers, in one
    /// call. Patches leave the document's patch log once, so none is told twice.
    fn flush(&self, shared: &Shared) {
        self.fresh(shared);
        let patches = self.doc.borrow_mut().take_patches();
        self.notify(&patches);
    }

    /// One [`flush`](Self::flush) after the current task (`afterTask`), however many
    /// remote commits the task makes: applying costs a walk of the text in automerge 0.12,
    /// so once per task instead of once per received message.
    fn schedule(&self) {
        if self.scheduled.replace(true) {
            return;
        }
        let (me, shared) = (self.me.clone(), self.shared.clone());
        let task = Closure::once_into_js(move || {
            let (Some(me), Some(shared)) = (me.upgrade(), shared.upgrade()) else { return };
            me.scheduled.set(false);
            if !shared.is_closed() && !me.listeners.borrow().is_empty() {
                me.flush(&shared);
            }
        });
        after_task(task.unchecked_ref());
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
    /// the document is rebuilt from the log. Subscribers that heard the dropped edits (a
    /// remote change reported them while they waited) hear them undone at once.
    fn fail(&self, shared: &Shared, err: &JsValue) {
        self.reload(shared);
        self.epoch.set(self.epoch.get() + 1);
        *self.failure.borrow_mut() = err.clone();
        if !self.listeners.borrow().is_empty() {
            self.flush(shared);
        }
    }

    /// Rebuilds the document from the log. Patches go on from what subscribers heard: the
    /// next ones first undo what the dropped edits did (if they heard them).
    fn reload(&self, shared: &Shared) {
        self.stale.set(false);
        let mut doc = self.doc.borrow_mut();
        if let Err(e) = doc.reload(&shared.log.borrow()) {
            report(&doc_error(&e));
        }
        self.dropped.set(doc.dropped_changes());
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
    let state = Rc::new_cyclic(|me| DocState {
        stream,
        doc: RefCell::new(doc),
        listeners: RefCell::new(Vec::new()),
        next_listener: Cell::new(0),
        epoch: Cell::new(0),
        failure: RefCell::new(JsValue::UNDEFINED),
        dropped: Cell::new(0),
        stale: Cell::new(false),
        scheduled: Cell::new(false),
        me: me.clone(),
        shared: Rc::downgrade(shared),
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
            let draft = doc.edit(&log, |e| ops.iter().try_for_each(|op| op.apply(e)));
            // The edit's update may have rebuilt the document: older drafts are void, this
            // one (built after) is not.
            self.state.void_dropped(&doc);
            draft.map_err(|e| doc_error(&e))
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

    /// Calls `listener(patches)` after changes: at once for this tab's own edits, once after
    /// the current task for remote ones (module docs); returns an unsubscribe function.
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
