//! Several tabs on one log.
//!
//! - **Actors.** Each tab is its own actor, so two tabs never share a seq counter. To keep
//!   the number of actors per device near the number of open tabs, actor ids are reused:
//!   a tab takes the Web Lock `everlog:<name>:actor:<n>` for the lowest free `n` (held
//!   until the log is closed or the tab goes away) and uses the actor id stored for slot
//!   `n` in the `meta` store (`actor:<n>`), creating it on first use. Without Web Locks
//!   (very old browsers, some embedded views) every open gets a fresh random actor.
//! - **Events.** After a tab persists a batch it posts `{ key, bytes }` on the
//!   BroadcastChannel `everlog:<name>`; the others merge the bytes without writing them
//!   again (they are already in the shared database). Batches over [`INLINE_LIMIT`] are
//!   announced by key only, and the receivers read them from IndexedDB. A tab that was not
//!   open reads everything on open; messages arriving while it loads are queued and
//!   applied after the load. The core drops duplicates, so subscribers see each event once.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{BroadcastChannel, MessageEvent};

use super::batch;
use super::errors::to_js;
use super::shared::{report, Shared};
use crate::core::Error;

/// Batches larger than this are announced by key only.
pub const INLINE_LIMIT: usize = 256 * 1024;

#[wasm_bindgen(module = "/js/tabs.js")]
extern "C" {
    #[wasm_bindgen(js_name = acquireSlot)]
    fn acquire_slot(prefix: &str) -> js_sys::Promise;
}

/// A held actor slot.
pub struct Slot {
    pub n: u32,
    release: Function,
}

impl Slot {
    /// Takes the lowest free slot of log `name` (None without Web Locks).
    pub async fn acquire(name: &str) -> Option<Slot> {
        let r = JsFuture::from(acquire_slot(&format!("everlog:{name}:actor:"))).await.ok()?;
        let n = Reflect::get(&r, &"slot".into()).ok()?.as_f64()? as u32;
        let release = Reflect::get(&r, &"release".into()).ok()?.dyn_into::<Function>().ok()?;
        Some(Slot { n, release })
    }

    pub fn release(&self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

type Target = Rc<RefCell<TargetState>>;

#[derive(Default)]
struct TargetState {
    shared: Option<Weak<Shared>>,
    queued: Vec<JsValue>,
}

/// The BroadcastChannel link of one open log.
pub struct Tabs {
    channel: BroadcastChannel,
    target: Target,
    slot: Option<Slot>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Tabs {
    /// Starts listening (messages are queued until [`Tabs::attach`]).
    pub fn listen(name: &str) -> Result<Tabs, JsValue> {
        let channel = BroadcastChannel::new(&format!("everlog:{name}"))?;
        let target: Target = Rc::default();
        let t2 = target.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            let shared = {
                let mut t = t2.borrow_mut();
                match t.shared.as_ref().map(Weak::upgrade) {
                    Some(Some(s)) => s,
                    Some(None) => return,
                    None => {
                        t.queued.push(data);
                        return;
                    }
                }
            };
            spawn_local(handle(shared, data));
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Tabs { channel, target, slot: None, _on_message: on_message })
    }

    pub fn set_slot(&mut self, slot: Option<Slot>) {
        self.slot = slot;
    }

    /// Connects the channel to the opened log and applies the messages queued meanwhile.
    pub fn attach(&self, shared: &Rc<Shared>) {
        let queued = {
            let mut t = self.target.borrow_mut();
            t.shared = Some(Rc::downgrade(shared));
            std::mem::take(&mut t.queued)
        };
        for data in queued {
            spawn_local(handle(shared.clone(), data));
        }
    }

    /// Tells the other tabs that batch `key` was committed.
    pub fn announce(&self, key: f64, bytes: &[u8]) {
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"key".into(), &key.into());
        if bytes.len() <= INLINE_LIMIT {
            let _ = Reflect::set(&msg, &"bytes".into(), &Uint8Array::from(bytes));
        }
        if let Err(e) = self.channel.post_message(&msg) {
            report(&e);
        }
    }

    pub fn close(&self) {
        self.channel.set_onmessage(None);
        self.channel.close();
        if let Some(s) = &self.slot {
            s.release();
        }
    }
}

/// Applies one message from another tab.
async fn handle(shared: Rc<Shared>, data: JsValue) {
    if let Err(e) = apply(shared, data).await {
        report(&e);
    }
}

async fn apply(shared: Rc<Shared>, data: JsValue) -> Result<(), JsValue> {
    if shared.is_closed() {
        return Ok(()); // closed, or its database went away: nothing to merge into
    }
    let bytes = Reflect::get(&data, &"bytes".into())?;
    let batches: Vec<Vec<u8>> = if let Some(b) = bytes.dyn_ref::<Uint8Array>() {
        vec![b.to_vec()]
    } else {
        // Announced by key only: read it (and anything newer) from the shared database.
        let key = Reflect::get(&data, &"key".into())?.as_f64().unwrap_or(0.0);
        let Some(store) = &shared.store else { return Ok(()) };
        store.batches_after(key - 1.0).await.map_err(|e| e.to_js())?.into_iter().map(|(_, b)| b).collect()
    };
    let mut events = Vec::new();
    for b in batches {
        events.extend(batch::decode(&b).map_err(|e| to_js(&Error::Decode(e)))?);
    }
    shared.ingest(events, false).await.map(|_| ())
}
