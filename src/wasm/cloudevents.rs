//! `log.exportCloudEvents(filter?)` and `log.importCloudEvents(text)`: the JS face of
//! `toolkit::cloudevents` (CloudEvents 1.0, structured mode, one JSON object per line;
//! the attribute mapping is in that module's docs and docs/toolkit.md).
//!
//! Export writes stored events as they are (not upcast: an export is a faithful copy). The
//! lines are written by js/cloudevents.js from the events as JS objects plus each one's
//! data text (byte for byte), the same bytes as `toolkit::cloudevents::to_cloudevent`:
//! string formatting is a few hundred bytes of JavaScript but several KB of wasm.
//! Import parses every line first (a bad line is a `DecodeError` naming it, and nothing
//! changes), then merges the events through the same write path as a sync
//! ([`Shared::ingest`](super::shared::Shared::ingest)): validated, persisted in one
//! transaction, duplicates skipped, events with missing dependencies kept pending, other
//! tabs told, projections, subscribers and handlers woken.

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::convert::{events_to_js, filter_from_js};
use super::errors::toolkit_to_js;
use super::event_log::EventLog;
use super::task::promise;
use crate::core::EventRef;
use crate::toolkit::cloudevents::{check_exportable, parse_cloudevents};

#[wasm_bindgen(module = "/js/cloudevents.js")]
extern "C" {
    /// JSON Lines of `events` (JS objects) whose data texts are `data`.
    #[wasm_bindgen(js_name = cloudEvents)]
    fn cloud_events(events: JsValue, data: Array) -> String;
}

#[wasm_bindgen]
impl EventLog {
    /// The events `filter` selects, in the total order, as CloudEvents JSON Lines.
    #[wasm_bindgen(js_name = exportCloudEvents)]
    pub fn export_cloud_events(&self, filter: JsValue) -> Result<String, JsValue> {
        self.shared.check_open()?;
        let f = filter_from_js(&filter)?;
        let log = self.shared.log.borrow();
        let events: Vec<EventRef<'_>> = log.events(&f).collect();
        events.iter().try_for_each(|e| check_exportable(*e)).map_err(|e| toolkit_to_js(&e))?;
        let data: Array = events.iter().map(|e| JsValue::from_str(e.data())).collect();
        Ok(cloud_events(events_to_js(events.iter().copied()), data))
    }

    /// Merges CloudEvents JSON Lines like a sync; resolves with
    /// `{ applied, duplicates, pending }` once the new events are durable.
    #[wasm_bindgen(js_name = importCloudEvents)]
    pub fn import_cloud_events(&self, text: JsValue) -> Promise {
        let parsed = (|| {
            self.shared.check_open()?;
            let text =
                text.as_string().ok_or_else(|| super::errors::type_error("importCloudEvents expects a string"))?;
            parse_cloudevents(&text).map_err(|e| toolkit_to_js(&e))
        })();
        let events = match parsed {
            Ok(e) => e,
            Err(e) => return Promise::reject(&e),
        };
        let shared = self.shared.clone();
        promise(async move {
            let n = events.len();
            let r = if n == 0 { Default::default() } else { shared.ingest(events, true).await? };
            let out = Object::new();
            let applied = r.applied.len() as f64;
            for (k, v) in [("applied", applied), ("duplicates", r.duplicates as f64), ("pending", r.pending as f64)] {
                Reflect::set(&out, &k.into(), &v.into())?;
            }
            Ok(out.into())
        })
    }
}
