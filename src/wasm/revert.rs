//! `log.revert(eventId, compensate)`: undo by appending, the JS face of
//! `toolkit::revert`. The compensation gets meta `reverts` = the original's id and
//! defaults to the original's stream; as a local append it comes causally after the
//! original on every replica. Nothing is deleted. `events()`/`get()` show the link as
//! `reverts` (on the compensation) and `revertedBy` (on the original; see toolkit.rs).

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::convert::drafts_from_js;
use super::errors::{to_js, toolkit_to_js, type_error};
use super::event_log::EventLog;
use super::task::promise;
use super::toolkit;
use crate::core::{AppendOptions, Error, Event, EventId, InvalidEvent};
use crate::toolkit::revert::revert_draft;
use crate::toolkit::ToolkitError;

#[wasm_bindgen]
impl EventLog {
    /// Appends `compensate` (an event draft whose `stream` defaults to the original's) as
    /// the compensation of `eventId` (an id or an idempotency key); resolves with it.
    pub fn revert(&self, event_id: String, compensate: JsValue) -> Promise {
        let prep = (|| {
            self.shared.check_open()?;
            if !compensate.is_object() {
                return Err(type_error("revert expects the compensating event draft"));
            }
            let log = self.shared.log.borrow();
            let original = match event_id.parse::<EventId>() {
                Ok(id) => log.get(&id),
                Err(_) => log.get_by_idempotency_key(&event_id),
            };
            let Some(original) = original else {
                let err = match event_id.parse::<EventId>() {
                    Ok(id) => toolkit_to_js(&ToolkitError::UnknownEvent(id)),
                    // Neither an id nor a known idempotency key.
                    Err(_) => to_js(&Error::Invalid(InvalidEvent::BadEventId(event_id.clone()))),
                };
                return Err(err);
            };
            let with_stream = Object::new();
            Reflect::set(&with_stream, &"stream".into(), &(**original.stream()).into())?;
            let draft = Object::assign(&with_stream, compensate.unchecked_ref());
            let (mut drafts, _) = drafts_from_js(&draft)?;
            let d = revert_draft(&log, &original.id(), drafts.remove(0)).map_err(|e| toolkit_to_js(&e))?;
            Ok(d)
        })();
        let draft = match prep {
            Ok(d) => d,
            Err(e) => return Promise::reject(&e),
        };
        let shared = self.shared.clone();
        promise(async move {
            let events = shared.clone().append_local(vec![draft], AppendOptions::default()).await?;
            let log = shared.log.borrow();
            Ok(js_sys::Array::from(&toolkit::events_to_js(&shared, &log, events.iter().map(Event::view))).get(0))
        })
    }
}
