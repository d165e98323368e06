//! `log.decide(stream, { initial, evolve, decide }, command, { maxRetries? })`: command
//! handling with optimistic concurrency, the JS face of `toolkit::decider`.
//!
//! The logic is JS callbacks, so this is a thin loop rather than the Rust `Decider`
//! trait (whose `decide` cannot await), written in JavaScript (js/decide.js: a few hundred
//! bytes there, several KB of async wasm here) over the log's own `events` and `append`:
//! fold `stream` with `evolve` from a `structuredClone` of `initial` (events in their
//! newest shape), call
//! `decide(command, state)` (it may return a promise), append the drafts with
//! `expectedVersion` = the number of events folded (`"no-stream"` for an empty stream).
//! On a `ConcurrencyError` (someone appended in between: another tab, a sync, an
//! `append` awaited inside `decide`) fold again and retry, at most `maxRetries` times
//! (default 2: three attempts in all, as in Rust), then rethrow that error.
//! Drafts without a `stream` go to the decided stream; another stream is a `TypeError`
//! (the version check covers one stream). A `decide` that throws rejects with its error.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::event_log::EventLog;

#[wasm_bindgen(module = "/js/decide.js")]
extern "C" {
    /// The loop of the module docs, on a second handle of the same log.
    #[wasm_bindgen(js_name = decideOn)]
    fn decide_on(log: EventLog, stream: String, decider: JsValue, command: JsValue, options: JsValue) -> Promise;
}

#[wasm_bindgen]
impl EventLog {
    /// Folds `stream`, asks `decider.decide(command, state)`, appends what it returns with
    /// an expected version, retrying on concurrency (see the module docs). Resolves with
    /// the appended events (`[]` when the decision appends nothing).
    pub fn decide(&self, stream: String, decider: JsValue, command: JsValue, options: JsValue) -> Promise {
        if let Err(e) = self.shared.check_open() {
            return Promise::reject(&e);
        }
        decide_on(EventLog { shared: self.shared.clone() }, stream, decider, command, options)
    }
}
