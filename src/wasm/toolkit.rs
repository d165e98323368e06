//! The toolkit's per-log state in the browser, and how events are shown to JavaScript
//! once upcasters and reverts are in play.
//!
//! - **Upcasters** (`log.upcast(type, fromVersion, fn)`): JS functions wrapped into the
//!   core toolkit's [`Upcasters`]. Every read that hands events to JS (`events()`, `get()`,
//!   JS reducers in `fold`/`project`, `subscribe`, handlers, `decide`) and the built-in
//!   folds of `log.fold` see events in their newest shape. Stored events never change.
//!   Built-in *projections* fold stored shapes (their incremental engine reads columns of
//!   the stored events); docs/toolkit.md says so.
//! - **Revert links**: `reverts` (on a compensation) and `revertedBy` (on what it undoes)
//!   are added to the JS event objects from an index kept here. The index is built by one
//!   scan the first time it is needed and then updated as events are applied, so a log
//!   without any revert pays one scan per open and nothing per read.
//!
//! With neither upcasters nor reverts, events go out through the plain
//! [`convert::events_json`] path, unchanged.
//!
//! Without the `toolkit` feature (the core package entry `everlog`, docs/size.md) there is
//! no `log.upcast`, no `revert` and no `log.on`: the upcasters stay empty, no revert index
//! is kept (events carry no `reverts`/`revertedBy`, as the core entry's types say) and
//! there are no handlers to wake or stop.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::convert;
use super::shared::Shared;
use crate::core::{Event, EventRef, Log};
use crate::toolkit::Upcasters;

// What only the toolkit entry needs (without the feature, the core entry: see above).
#[cfg(feature = "toolkit")]
use {
    super::consumers::Runner,
    super::errors::type_error,
    super::event_log::EventLog,
    super::shared::report,
    crate::core::hash::Map,
    crate::core::EventId,
    crate::toolkit::revert::reverts,
    crate::toolkit::TextShape,
    js_sys::{Function, Object, Reflect, JSON},
    std::cell::Ref,
    std::fmt::Write as _,
    std::rc::Rc,
};

/// Which events revert which (only compensations that causally follow what they name,
/// as in [`crate::toolkit::Reverts`]).
/// Both maps have the type of the pending set's `waiting_on` (`reverts` holds one id per
/// entry): one instance of the hash map code in the wasm package instead of three.
#[cfg(feature = "toolkit")]
#[derive(Default)]
pub struct Links {
    reverts: Map<EventId, Vec<EventId>>,
    reverted_by: Map<EventId, Vec<EventId>>,
}

#[cfg(feature = "toolkit")]
impl Links {
    fn add(&mut self, log: &Log, e: EventRef<'_>) {
        if let Some(o) = reverts(e).filter(|o| log.happened_before(o, &e.id())) {
            self.reverts.insert(e.id(), vec![o]);
            self.reverted_by.entry(o).or_default().push(e.id());
        }
    }

    fn is_empty(&self) -> bool {
        self.reverts.is_empty()
    }
}

/// Toolkit state of one open log (a field of [`Shared`]).
#[derive(Default)]
pub struct ToolkitState {
    pub upcasters: RefCell<Upcasters>,
    /// `None` until first needed.
    #[cfg(feature = "toolkit")]
    links: RefCell<Option<Links>>,
    /// Named handlers registered with `log.on` (active or waiting for their lock).
    #[cfg(feature = "toolkit")]
    pub consumers: RefCell<Vec<Rc<Runner>>>,
}

impl ToolkitState {
    /// The revert index, built by one scan the first time. Borrowed shared, so a JS
    /// callback run while it is held (an upcaster) may read the log again.
    #[cfg(feature = "toolkit")]
    fn links(&self, log: &Log) -> Ref<'_, Option<Links>> {
        if self.links.borrow().is_none() {
            let mut l = Links::default();
            for e in log.iter().filter(|e| !e.meta().is_empty()) {
                l.add(log, e);
            }
            if let Ok(mut slot) = self.links.try_borrow_mut() {
                *slot = Some(l);
            }
        }
        self.links.borrow()
    }

    /// Without the toolkit there is no revert index and there are no handlers.
    #[cfg(not(feature = "toolkit"))]
    pub fn on_applied(&self, _shared: &Shared, _applied: &[Event]) {}

    /// Called by [`Shared::publish`] after events were applied: keeps the revert index up
    /// to date and wakes the handlers.
    #[cfg(feature = "toolkit")]
    pub fn on_applied(&self, shared: &Shared, applied: &[Event]) {
        // A compensation adds `revertedBy` to an event whose JS object may be cached
        // already (src/wasm/event_cache.rs): rebuild the cache (reverts are rare).
        if applied.iter().any(|e| !e.meta().is_empty() && reverts(e.view()).is_some()) {
            shared.js_events.clear();
        }
        if let Ok(mut slot) = self.links.try_borrow_mut() {
            if let Some(links) = slot.as_mut() {
                let log = shared.log.borrow();
                for e in applied.iter().filter(|e| !e.meta().is_empty()) {
                    links.add(&log, e.view());
                }
            }
        }
        let runners: Vec<Rc<Runner>> = self.consumers.borrow().clone();
        for r in runners {
            r.wake();
        }
    }

    /// Without the toolkit there are no handlers to stop.
    #[cfg(not(feature = "toolkit"))]
    pub fn close(&self) {}

    /// Stops every handler (the log is closing); their Web Locks are released.
    #[cfg(feature = "toolkit")]
    pub fn close(&self) {
        let runners: Vec<Rc<Runner>> = self.consumers.borrow_mut().drain(..).collect();
        for r in runners {
            r.stop();
        }
    }
}

/// Appends `,"reverts":…` / `,"revertedBy":[…]` to an event object written by
/// [`convert::push_event`] (which ends in `}`).
#[cfg(feature = "toolkit")]
fn push_links(out: &mut String, id: &EventId, links: &Links) {
    let of = links.reverts.get(id).and_then(|v| v.first());
    let by = links.reverted_by.get(id);
    if of.is_none() && by.is_none() {
        return;
    }
    out.pop();
    if let Some(o) = of {
        let _ = write!(out, ",\"reverts\":\"{o}\"");
    }
    if let Some(by) = by {
        out.push_str(",\"revertedBy\":[");
        for (i, b) in by.iter().enumerate() {
            let _ = write!(out, "{}\"{b}\"", if i > 0 { "," } else { "" });
        }
        out.push(']');
    }
    out.push('}');
}

/// Events as JS objects: newest shape, with revert links.
pub fn events_to_js<'a>(shared: &Shared, log: &Log, events: impl IntoIterator<Item = EventRef<'a>>) -> JsValue {
    let mut out = String::new();
    write_events_json(shared, log, events, &mut out);
    convert::parse(&out)
}

/// Writes events as a JSON array of their JS objects (newest shape, revert links) into
/// `out`: what [`events_to_js`] parses, and what the JS fold cache is built from.
pub fn write_events_json<'a>(
    shared: &Shared,
    log: &Log,
    events: impl IntoIterator<Item = EventRef<'a>>,
    out: &mut String,
) {
    let up = shared.toolkit.upcasters.borrow();
    #[cfg(feature = "toolkit")]
    let links = shared.toolkit.links(log);
    #[cfg(feature = "toolkit")]
    let links = links.as_ref().filter(|l| !l.is_empty());
    #[cfg(not(feature = "toolkit"))]
    let _ = log;
    out.push('[');
    for (i, e) in events.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if up.is_empty() {
            convert::push_event(out, e);
        } else {
            convert::push_event(out, Upcasters::upcast(&up, e).as_ref().map_or(e, Event::view));
        }
        #[cfg(feature = "toolkit")]
        if let Some(l) = links {
            push_links(out, &e.id(), l);
        }
    }
    out.push(']');
}

/// One event already in its newest shape (a consumer's batch) as a JS object, with links.
#[cfg(feature = "toolkit")]
pub fn shaped_event_to_js(shared: &Shared, log: &Log, e: &Event) -> JsValue {
    let mut out = String::new();
    convert::push_event(&mut out, e.view());
    if let Some(l) = shared.toolkit.links(log).as_ref() {
        push_links(&mut out, &e.id, l);
    }
    convert::parse(&out)
}

/// Calls a JS upcaster on `shape`; it returns `{ type?, data }`. A throw or a bad result
/// is reported and the shape is passed on unchanged (a fold has no way to stop half-way;
/// see docs/toolkit.md). The data goes in through `JSON.parse` and comes back through
/// `JSON.stringify` (which writes one JSON value or nothing): no JSON parser in the wasm.
#[cfg(feature = "toolkit")]
fn call_upcaster(f: &Function, shape: TextShape) -> TextShape {
    let input = Object::new();
    let _ = Reflect::set(&input, &"type".into(), &shape.kind.as_str().into());
    let _ = Reflect::set(&input, &"data".into(), &convert::parse(&shape.data));
    let out = f.call1(&JsValue::UNDEFINED, &input).and_then(|v| {
        let bad = || type_error("an upcaster must return { type?, data } with JSON data");
        if !v.is_object() {
            return Err(bad());
        }
        let kind = Reflect::get(&v, &"type".into())?;
        let kind = if kind.is_undefined() { None } else { Some(kind.as_string().ok_or_else(bad)?) };
        let data = JSON::stringify(&Reflect::get(&v, &"data".into())?)?.as_string().ok_or_else(bad)?;
        Ok(TextShape { kind: kind.unwrap_or_else(|| shape.kind.clone()), data })
    });
    out.unwrap_or_else(|e| {
        report(&e);
        shape
    })
}

#[cfg(feature = "toolkit")]
#[wasm_bindgen]
impl EventLog {
    /// Registers an upcaster from schema version `fromVersion` (meta `schema`, default 1)
    /// of `type` to `fromVersion + 1`: `fn({ type, data }) -> { type?, data }`.
    pub fn upcast(&self, kind: String, from_version: u32, f: JsValue) -> Result<(), JsValue> {
        self.shared.check_open()?;
        let f: Function = f.dyn_into().map_err(|_| type_error("upcast: the upcaster must be a function"))?;
        if from_version == 0 {
            return Err(type_error("schema versions start at 1"));
        }
        let mut up = self
            .shared
            .toolkit
            .upcasters
            .try_borrow_mut()
            .map_err(|_| type_error("upcast() cannot be called from inside an upcaster"))?;
        up.register_text(&kind, from_version, move |shape| Some(call_upcaster(&f, shape)));
        // Cached JS event objects have the old shapes (src/wasm/event_cache.rs).
        self.shared.js_events.clear();
        Ok(())
    }
}
