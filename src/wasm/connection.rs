//! `log.connect(url, { room, token })`: the WebSocket transport to the relay.
//!
//! The socket, reconnects with backoff and the browser's `online`/`offline` events live in
//! `js/connection.js` (a `Connection`, an `EventTarget`); it moves bytes between the socket
//! and a fresh [`Peer`] per connection, so all of the protocol stays in the core sync
//! state machine. This file only builds the two hooks it needs: a peer factory, and a
//! way to hear about every change of the log (local appends, other tabs, other peers),
//! after which it sends what the relay lacks.

use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::peer::Peer;
use super::shared::Shared;

#[wasm_bindgen(module = "/js/connection.js")]
extern "C" {
    #[wasm_bindgen(js_name = Connection)]
    pub type JsConnection;

    #[wasm_bindgen(constructor, js_class = "Connection")]
    fn new(url: &str, options: &JsValue, new_peer: &JsValue, watch: &JsValue) -> JsConnection;
}

/// Starts a connection of `shared`'s log to the relay at `url`.
pub fn connect(shared: &Rc<Shared>, url: &str, options: &JsValue) -> JsValue {
    let for_peer = shared.clone();
    let new_peer = Closure::<dyn FnMut() -> JsValue>::new(move || JsValue::from(Peer::new(for_peer.clone())));
    let for_watch = Rc::downgrade(shared);
    let watch = Closure::<dyn FnMut(Function) -> JsValue>::new(move |listener: Function| {
        let Some(s) = for_watch.upgrade() else { return JsValue::UNDEFINED };
        let id = s.next_listener.get();
        s.next_listener.set(id + 1);
        s.listeners.borrow_mut().push((id, listener));
        let weak = Rc::downgrade(&s);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
        .into_js_value()
    });
    JsConnection::new(url, options, &new_peer.into_js_value(), &watch.into_js_value()).into()
}
