//! `log.peer()`: the transport-agnostic sync endpoint, bytes in and bytes out.
//!
//! One `Peer` per connection (per remote replica): it holds the core's per-peer
//! [`SyncState`]. The app loops `generateMessage()` until it returns `null`, sending each
//! message over its transport, and hands every message that arrives to
//! `receiveMessage(bytes)`. Received events go through the log's one write path
//! ([`Shared::ingest`]): validated, persisted in one IndexedDB transaction, applied,
//! announced to the other tabs, then shown to projections and subscribers once. A damaged
//! message keeps its complete chunks; the state then asks the other side to resend the
//! rest, so the next `generateMessage()` must be sent even after an error.
//!
//! Stored events are acknowledged: the next message announces this side's version even
//! when the other side could infer it, so the other side learns they are durable here
//! (as the relay does), and `progress().toSend` reaches 0 on both ends.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::shared::Shared;
use super::task::promise;
use crate::core::sync::{self, SyncState};
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
    /// The next message to send, or `null` when the peer is up to date.
    #[wasm_bindgen(js_name = generateMessage)]
    pub fn generate_message(&self) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let log = self.shared.log.borrow();
        Ok(match sync::generate_message(&log, &mut self.state.borrow_mut()) {
            Some(bytes) => Uint8Array::from(&bytes[..]).into(),
            None => JsValue::NULL,
        })
    }

    /// Applies one message from the peer; resolves once its events are durable.
    #[wasm_bindgen(js_name = receiveMessage)]
    pub fn receive_message(&self, bytes: &[u8]) -> Promise {
        let (shared, state) = (self.shared.clone(), self.state.clone());
        let decoded = match shared.check_open() {
            Err(e) => Err(e),
            Ok(()) => sync::decode_message(&shared.log.borrow(), &mut state.borrow_mut(), bytes)
                .map_err(|e| to_js(&Error::Decode(e))),
        };
        promise(async move {
            let incoming = decoded?;
            if !incoming.events.is_empty() {
                shared.ingest(incoming.events, true).await?;
                state.borrow_mut().acknowledge();
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// How far this side is from the other, as far as it knows: `{ known, toSend,
    /// toReceive }`. `known` is false until the other side announced its version; `toSend`
    /// counts local events it has not confirmed (sent but unacknowledged included), so 0
    /// means every local event is stored over there; `toReceive` counts events it
    /// announced that this side lacks.
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        self.shared.check_open()?;
        let log = self.shared.log.borrow();
        let state = self.state.borrow();
        let (known, to_send, to_receive) = match state.their_version() {
            None => (false, log.len() as u64, 0),
            Some(theirs) => {
                let mine = log.version();
                let to_receive: u64 = theirs.iter().map(|(a, s)| s.saturating_sub(mine.get(a))).sum();
                (true, log.count_missing_from(theirs), to_receive)
            }
        };
        let out = js_sys::Object::new();
        js_sys::Reflect::set(&out, &"known".into(), &known.into())?;
        js_sys::Reflect::set(&out, &"toSend".into(), &(to_send as f64).into())?;
        js_sys::Reflect::set(&out, &"toReceive".into(), &(to_receive as f64).into())?;
        Ok(out.into())
    }
}
