//! Ways of handing events to JS, side by side (feature `interop-bench` only; measured by
//! `www/bench/interop.html`, results in docs/js-interop.md). Each export returns the same
//! array of event objects as `log.events(filter)`, built another way.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::{event_to_js, filter_from_js};
use super::event_log::EventLog;

#[derive(Serialize)]
struct JsEvent<'a> {
    id: String,
    stream: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    data: serde_json::Value,
    lamport: u64,
    time: u64,
}

#[wasm_bindgen]
impl EventLog {
    /// serde-wasm-bindgen: one call, but every field is its own boundary crossing.
    #[wasm_bindgen(js_name = __eventsSerdeWasmBindgen, skip_typescript)]
    pub fn events_serde_wasm_bindgen(&self, filter: JsValue) -> Result<JsValue, JsValue> {
        let f = filter_from_js(&filter)?;
        let log = self.shared.log.borrow();
        let v: Vec<JsEvent> = log
            .events(&f)
            .map(|e| JsEvent {
                id: e.id.to_string(),
                stream: &e.stream,
                kind: &e.kind,
                key: e.key.as_deref(),
                data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
                lamport: e.lamport,
                time: e.time,
            })
            .collect();
        let ser = serde_wasm_bindgen::Serializer::json_compatible();
        v.serialize(&ser).map_err(JsValue::from)
    }

    /// One `JSON.parse` crossing per event.
    #[wasm_bindgen(js_name = __eventsPerEvent, skip_typescript)]
    pub fn events_per_event(&self, filter: JsValue) -> Result<JsValue, JsValue> {
        let f = filter_from_js(&filter)?;
        let log = self.shared.log.borrow();
        let out = Array::new();
        for e in log.events(&f) {
            out.push(&event_to_js(e));
        }
        Ok(out.into())
    }
}
