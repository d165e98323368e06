//! Interned names (streams, types, keys): one shared [`Name`] per distinct name, numbered.
//!
//! The log's records hold a `u32` [`NameId`] per name instead of a handle, so that
//! - the log keeps one allocation per distinct name, not one per event (events received
//!   from elsewhere arrive with their own copies: the codec's per-batch string table);
//! - two names are equal exactly when their ids are, so the conflict index and the
//!   per-batch stream grouping key their maps by id and never hash the text again.
//!
//! Interning a received name would hash its text once per event. A decoded batch shares
//! one [`Name`] per distinct name, so a small direct-mapped cache from "incoming pointer" to
//! "id" answers almost every lookup with one pointer comparison. The cache holds a clone
//! of each incoming `Name`, so a cached pointer cannot be freed and reused for another
//! name while it is in the cache.

use crate::core::hash::Map as HashMap;
use crate::core::name::Name;

/// Cache slots: enough for a few hundred names in use at once (streams and keys).
const CACHE: usize = 512;

/// A name's number in its log (dense, from 0, never reused).
pub(crate) type NameId = u32;

#[derive(Clone, Default)]
pub(crate) struct Names {
    ids: HashMap<Name, NameId>,
    list: Vec<Name>,
    /// `(incoming, id)` pairs, indexed by the incoming pointer.
    cache: Vec<Option<(Name, NameId)>>,
}

impl Names {
    /// The interned copy of `s`, if the log knows the name.
    pub fn get(&self, s: &str) -> Option<&Name> {
        self.ids.get_key_value(s).map(|(k, _)| k)
    }

    /// The id of `s`, if the log knows the name.
    pub fn id_of(&self, s: &str) -> Option<NameId> {
        self.ids.get(s).copied()
    }

    /// The name with this id.
    #[inline]
    pub fn name(&self, id: NameId) -> &Name {
        &self.list[id as usize]
    }

    /// The id of `name`, interning it when it is new.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub fn intern(&mut self, name: &Name) -> NameId {
        let slot = ((name.addr() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 55) as usize % CACHE;
        if let Some(Some((from, id))) = self.cache.get(slot) {
            if Name::ptr_eq(from, name) {
                return *id;
            }
        }
        let id = match self.ids.get(&**name) {
            Some(id) => *id,
            None => {
                let id = self.list.len() as NameId;
                self.ids.insert(name.clone(), id);
                self.list.push(name.clone());
                id
            }
        };
        if self.cache.is_empty() {
            self.cache.resize(CACHE, None);
        }
        self.cache[slot] = Some((name.clone(), id));
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_id_whatever_pointer_they_came_with() {
        let mut names = Names::default();
        let a = names.intern(&Name::from("cart:1"));
        let b_name = Name::from("cart:1");
        let b = names.intern(&b_name);
        let c = names.intern(&Name::from("cart:2"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(Name::ptr_eq(names.name(a), names.get("cart:1").unwrap()));
        // Through the cache (same incoming pointer again) and after many other names.
        assert_eq!(names.intern(&b_name), a);
        for i in 0..1000 {
            names.intern(&Name::from(format!("n{i}")));
        }
        assert_eq!(names.intern(&Name::from("cart:2")), c);
        assert_eq!(&**names.get("n999").unwrap(), "n999");
        assert_eq!(names.id_of("cart:2"), Some(c));
        assert_eq!(names.id_of("nope"), None);
    }
}
