//! Which other tabs have the log open, so that a tab alone does not post its batches.
//!
//! Posting every committed batch on the BroadcastChannel cost about a tenth of a single
//! awaited append (docs/benchmarks.md), also when no other tab listened. Tabs therefore
//! say when they come and go, on a second channel `everlog:<name>:tabs`, and a tab posts
//! its batches only while it knows of another tab:
//!
//! | message              | sent                                   | receiver                                    |
//! |----------------------|----------------------------------------|---------------------------------------------|
//! | `{ hello: id }`      | by a tab that starts listening (open)  | adds `id`, answers `here`                   |
//! | `{ here: id, to }`   | in answer to `hello` from `to`         | adds `id`; `to` catches up (below)          |
//! | `{ bye: id }`        | by `close()`                           | removes `id`                                |
//!
//! A batch message (`{ key, bytes?, from }` on `everlog:<name>`) also counts as presence
//! of `from`; one without `from` comes from an older build, which never says hello: such
//! a tab is then always told.
//!
//! No batch is missed, although a tab alone skips the announcement:
//! - A tab X skips a batch only before it knows of any other tab. A newcomer N posts
//!   `hello` before it loads the database. If X learns of N through that `hello`, every
//!   batch X skipped was committed before X answered `here`; N, on that `here`, reads the
//!   batches committed after its load ("catch-up"), so it gets them from IndexedDB
//!   whether or not its load saw them.
//! - If X is the newcomer and learns of an older tab O through O's `here`, O has known X
//!   since X's `hello` but was not told X's skipped batches: X then posts the key of its
//!   first skipped batch, and every tab reads from there (key-only message, as for large
//!   batches).
//!
//! Duplicates (a catch-up and a message for the same batch) are dropped by the core, so
//! subscribers still see each event once. A tab that goes away without `close()` sends no
//! `bye`: the others keep posting to it (a cost, never a loss).

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A message on the presence channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Presence {
    Hello(f64),
    Here { from: f64, to: f64 },
    Bye(f64),
}

fn num(v: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(v, &key.into()).ok()?.as_f64()
}

impl Presence {
    /// Reads a message; `None` for anything else (ignored).
    pub fn parse(data: &JsValue) -> Option<Presence> {
        if let Some(id) = num(data, "hello") {
            return Some(Presence::Hello(id));
        }
        if let Some(from) = num(data, "here") {
            return Some(Presence::Here { from, to: num(data, "to")? });
        }
        num(data, "bye").map(Presence::Bye)
    }

    pub fn to_js(self) -> JsValue {
        let o = Object::new();
        let set = |k: &str, v: f64| {
            let _ = Reflect::set(&o, &k.into(), &v.into());
        };
        match self {
            Presence::Hello(id) => set("hello", id),
            Presence::Here { from, to } => {
                set("here", from);
                set("to", to);
            }
            Presence::Bye(id) => set("bye", id),
        }
        o.into()
    }
}

/// The other tabs this one knows of.
#[derive(Default, Debug)]
pub struct Peers {
    ids: Vec<f64>,
    /// A tab of an older build posted a batch: it never says hello or bye.
    legacy: bool,
    /// Key of the first batch committed while no other tab was known, until told.
    skipped: Option<f64>,
}

impl Peers {
    /// Whether a committed batch must be posted.
    pub fn anyone(&self) -> bool {
        self.legacy || !self.ids.is_empty()
    }

    pub fn add(&mut self, id: f64) {
        if !self.ids.contains(&id) {
            self.ids.push(id);
        }
    }

    pub fn remove(&mut self, id: f64) {
        self.ids.retain(|&i| i != id);
    }

    pub fn add_legacy(&mut self) {
        self.legacy = true;
    }

    /// Batch `key` was committed and not posted (nobody to tell).
    pub fn skip(&mut self, key: f64) {
        self.skipped.get_or_insert(key);
    }

    /// Another tab said hello: it reads everything committed so far from the database
    /// (its load and its catch-up), so the skipped batches need no message.
    pub fn hello(&mut self, id: f64) {
        self.add(id);
        self.skipped = None;
    }

    /// An older tab answered our hello: the key of our first skipped batch, to be posted.
    pub fn here(&mut self, id: f64) -> Option<f64> {
        self.add(id);
        self.skipped.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_tab_alone_skips_and_tells_the_first_skipped_key_once() {
        let mut p = Peers::default();
        assert!(!p.anyone());
        p.skip(3.0);
        p.skip(4.0);
        assert_eq!(p.here(7.0), Some(3.0));
        assert!(p.anyone());
        assert_eq!(p.here(8.0), None, "told once");
        p.remove(7.0);
        p.remove(8.0);
        assert!(!p.anyone());
        p.skip(9.0);
        p.hello(10.0);
        assert_eq!(p.here(10.0), None, "a newcomer reads skipped batches from the database");
    }

    #[wasm_bindgen_test]
    fn an_older_build_is_always_told() {
        let mut p = Peers::default();
        p.add_legacy();
        p.remove(1.0);
        assert!(p.anyone());
    }
}
