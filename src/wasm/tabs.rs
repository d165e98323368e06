//! Several tabs on one log.
//!
//! - **Actors.** Each tab is its own actor, so two tabs never share a seq counter. To keep
//!   the number of actors per device near the number of open tabs, actor ids are reused:
//!   a tab takes the Web Lock `everlog:<name>:actor:<n>` for the lowest free `n` (held
//!   until the log is closed or the tab goes away) and uses the actor id stored for slot
//!   `n` in the `meta` store (`actor:<n>`), creating it on first use. Without Web Locks
//!   (very old browsers, some embedded views) every open gets a fresh random actor.
//! - **Events.** After a tab persists a batch it posts `{ key, bytes, from }` on the
//!   BroadcastChannel `everlog:<name>`, if it knows of another tab with the log open
//!   ([`presence`]: tabs say hello and bye on `everlog:<name>:tabs`); the others merge the
//!   bytes without writing them again (they are already in the shared database). Batches
//!   over [`INLINE_LIMIT`] are announced by key only, and the receivers read them (and any
//!   later ones) from IndexedDB. A tab that was not open reads everything on open; messages
//!   arriving while it loads are queued and handled after the load. The core drops
//!   duplicates, so subscribers see each event once.

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
use presence::{Peers, Presence};

mod presence;

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

/// What the handlers of both channels share.
struct Link {
    /// This open's id in presence messages (random; two opens of one log in one page are
    /// two tabs too).
    id: f64,
    batches: BroadcastChannel,
    presence: BroadcastChannel,
    state: RefCell<LinkState>,
}

#[derive(Default)]
struct LinkState {
    shared: Option<Weak<Shared>>,
    /// Messages that arrived while the log loaded: `(from the presence channel, data)`.
    queued: Vec<(bool, JsValue)>,
    peers: Peers,
    /// The highest batch key the open read (a catch-up reads the batches after it).
    loaded: f64,
}

/// The BroadcastChannel links of one open log.
pub struct Tabs {
    link: Rc<Link>,
    slot: Option<Slot>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_presence: Closure<dyn FnMut(MessageEvent)>,
}

impl Link {
    /// Routes a message to its handler, or queues it while the log loads.
    fn receive(self: &Rc<Self>, presence: bool, data: JsValue) {
        let shared = {
            let mut s = self.state.borrow_mut();
            match s.shared.as_ref().map(Weak::upgrade) {
                Some(Some(shared)) => shared,
                Some(None) => return,
                None => {
                    s.queued.push((presence, data));
                    return;
                }
            }
        };
        if presence {
            self.on_presence(&shared, &data);
        } else {
            self.on_batch(shared, data);
        }
    }

    fn on_batch(&self, shared: Rc<Shared>, data: JsValue) {
        match Reflect::get(&data, &"from".into()).ok().and_then(|f| f.as_f64()) {
            Some(from) => self.state.borrow_mut().peers.add(from),
            None => self.state.borrow_mut().peers.add_legacy(),
        }
        spawn_local(handle(shared, data));
    }

    fn on_presence(&self, shared: &Rc<Shared>, data: &JsValue) {
        match Presence::parse(data) {
            Some(Presence::Hello(from)) => {
                self.state.borrow_mut().peers.hello(from);
                self.post(&self.presence, &Presence::Here { from: self.id, to: from }.to_js());
            }
            Some(Presence::Here { from, to }) if to == self.id => {
                let (skipped, loaded) = {
                    let mut s = self.state.borrow_mut();
                    (s.peers.here(from), s.loaded)
                };
                // What the older tab committed before it knew of us, if our load missed it.
                spawn_local(handle(shared.clone(), key_only(loaded + 1.0, self.id)));
                if let Some(key) = skipped {
                    self.post(&self.batches, &key_only(key, self.id));
                }
            }
            Some(Presence::Here { from, .. }) => self.state.borrow_mut().peers.add(from),
            Some(Presence::Bye(from)) => self.state.borrow_mut().peers.remove(from),
            None => {}
        }
    }

    fn post(&self, channel: &BroadcastChannel, msg: &JsValue) {
        if let Err(e) = channel.post_message(msg) {
            report(&e);
        }
    }
}

/// A batch message without bytes: "read the batches from `key` on from the database".
fn key_only(key: f64, from: f64) -> JsValue {
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"key".into(), &key.into());
    let _ = Reflect::set(&msg, &"from".into(), &from.into());
    msg.into()
}

fn on_message(link: &Rc<Link>, presence: bool) -> Closure<dyn FnMut(MessageEvent)> {
    let link = Rc::downgrade(link);
    Closure::new(move |ev: MessageEvent| {
        if let Some(l) = link.upgrade() {
            l.receive(presence, ev.data());
        }
    })
}

impl Tabs {
    /// Starts listening and says hello (messages are queued until [`Tabs::attach`]).
    pub fn listen(name: &str) -> Result<Tabs, JsValue> {
        let batches = BroadcastChannel::new(&format!("everlog:{name}"))?;
        let presence = BroadcastChannel::new(&format!("everlog:{name}:tabs"))?;
        let id = js_sys::Math::random();
        let link = Rc::new(Link { id, batches, presence, state: RefCell::default() });
        let on_batch = on_message(&link, false);
        let on_presence = on_message(&link, true);
        link.batches.set_onmessage(Some(on_batch.as_ref().unchecked_ref()));
        link.presence.set_onmessage(Some(on_presence.as_ref().unchecked_ref()));
        link.post(&link.presence, &Presence::Hello(id).to_js());
        Ok(Tabs { link, slot: None, _on_message: on_batch, _on_presence: on_presence })
    }

    pub fn set_slot(&mut self, slot: Option<Slot>) {
        self.slot = slot;
    }

    /// Connects the channels to the opened log, whose load read the batches up to key
    /// `loaded`, and handles the messages queued meanwhile.
    pub fn attach(&self, shared: &Rc<Shared>, loaded: f64) {
        let queued = {
            let mut s = self.link.state.borrow_mut();
            s.shared = Some(Rc::downgrade(shared));
            s.loaded = loaded;
            std::mem::take(&mut s.queued)
        };
        for (presence, data) in queued {
            self.link.receive(presence, data);
        }
    }

    /// Tells the other tabs, if there are any, that batch `key` was committed.
    pub fn announce(&self, key: f64, bytes: &[u8]) {
        {
            let mut s = self.link.state.borrow_mut();
            if !s.peers.anyone() {
                s.peers.skip(key);
                return;
            }
        }
        let msg = key_only(key, self.link.id);
        if bytes.len() <= INLINE_LIMIT {
            let _ = Reflect::set(&msg, &"bytes".into(), &Uint8Array::from(bytes));
        }
        self.link.post(&self.link.batches, &msg);
    }

    pub fn close(&self) {
        let l = &self.link;
        l.post(&l.presence, &Presence::Bye(l.id).to_js());
        for channel in [&l.batches, &l.presence] {
            channel.set_onmessage(None);
            channel.close();
        }
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
