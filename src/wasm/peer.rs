//! `Peer`: the transport-agnostic sync of one `EventLog` with one other replica, bytes in
//! and bytes out (the core [`SyncState`] state machine), as `log.peer()` hands it to JS.
//!
//! A peer lives as long as one connection: start a new one after every reconnect.
//! `receiveMessage` persists the events it applies (one IndexedDB transaction, through
//! [`Shared::ingest`]) before it resolves, so whatever it answers next describes durable
//! state, and acknowledges them: the next message announces our version even when the
//! other side could infer it, so its `progress().toSend` reaches 0. Calls must not overlap: the caller awaits each `receiveMessage` before the next
//! (the WebSocket transport in `js/connection.js` queues them).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::shared::Shared;
use super::task::promise;
use crate::core::sync::{decode_message, generate_message, SyncState};
use crate::core::Error;

#[wasm_bindgen(skip_typescript)]
pub struct Peer {
    shared: Rc<Shared>,
    state: Rc<RefCell<SyncState>>,
}

impl Peer {
    pub fn new(shared: Rc<Shared>) -> Self {
        Peer { shared, state: Rc::new(RefCell::new(SyncState::new())) }
    }
}

#[wasm_bindgen]
impl Peer {
    /// The next message for the other side, or `null` when there is nothing to say.
    #[wasm_bindgen(js_name = generateMessage)]
    pub fn generate_message(&self) -> Result<Option<Uint8Array>, JsValue> {
        self.shared.check_open()?;
        let log = self.shared.log.borrow();
        Ok(generate_message(&log, &mut self.state.borrow_mut()).map(|b| Uint8Array::from(&b[..])))
    }

    /// Decodes a message, persists and applies its events; resolves to the number of
    /// events newly applied. A damaged message rejects with a `DecodeError` after keeping
    /// its complete parts; the next `generateMessage` asks the other side for the rest.
    #[wasm_bindgen(js_name = receiveMessage)]
    pub fn receive_message(&self, bytes: Vec<u8>) -> Promise {
        let shared = self.shared.clone();
        let state = self.state.clone();
        promise(async move {
            shared.check_open()?;
            let incoming = {
                let log = shared.log.borrow();
                decode_message(&log, &mut state.borrow_mut(), &bytes).map_err(|e| to_js(&Error::Decode(e)))?
            };
            let applied = if incoming.events.is_empty() {
                0
            } else {
                let n = shared.clone().ingest(incoming.events, true).await?.applied.len();
                // Stored: the next message announces our version, which tells the other
                // side its events are durable here (as the relay does).
                state.borrow_mut().acknowledge();
                n
            };
            match incoming.error {
                Some(e) => Err(to_js(&Error::Decode(e))),
                None => Ok(JsValue::from(applied as f64)),
            }
        })
    }

    /// How far this side is from the other, as far as it knows: `{ toSend, toReceive }`
    /// counts events, `known` is false until the other side has announced its version.
    /// `toSend` counts what the other side has not confirmed (sent but unacknowledged
    /// included), so `toSend == 0` means every local event is stored over there.
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let log = self.shared.log.borrow();
        let state = self.state.borrow();
        let out = js_sys::Object::new();
        let (known, to_send, to_receive) = match state.their_version() {
            None => (false, log.len() as u64, 0),
            Some(theirs) => {
                let mine = log.version();
                let to_receive: u64 = theirs.iter().map(|(a, s)| s.saturating_sub(mine.get(a))).sum();
                (true, log.count_missing_from(theirs), to_receive)
            }
        };
        js_sys::Reflect::set(&out, &"known".into(), &known.into())?;
        js_sys::Reflect::set(&out, &"toSend".into(), &(to_send as f64).into())?;
        js_sys::Reflect::set(&out, &"toReceive".into(), &(to_receive as f64).into())?;
        Ok(out.into())
    }
}
