//! Interned names (streams, types, keys): one shared [`Name`] per distinct name.
//!
//! Every event the log holds points at the interned copy of its names, so that
//! - the log keeps one allocation per distinct name, not one per event (events received
//!   from elsewhere arrive with their own copies: the codec's per-batch string table);
//! - two names are equal exactly when their pointers are, so the conflict index and the
//!   per-batch stream grouping key their maps by pointer ([`Names::id`]) and never hash the
//!   text again.
//!
//! Interning a received name would hash its text once per event. A decoded batch shares
//! one [`Name`] per distinct name, so a small direct-mapped cache from "incoming pointer" to
//! "interned copy" answers almost every lookup with one pointer comparison. The cache
//! holds a clone of each incoming `Name`, so a cached pointer cannot be freed and reused
//! for another name while it is in the cache.

use crate::core::name::Name;

use crate::core::hash::Set as HashSet;

/// Cache slots: enough for a few hundred names in use at once (streams and keys).
const CACHE: usize = 512;

#[derive(Clone, Default)]
pub(crate) struct Names {
    set: HashSet<Name>,
    /// `(incoming, interned)` pairs, indexed by the incoming pointer.
    cache: Vec<Option<(Name, Name)>>,
}

/// A name's identity while the log holds it: the address of its interned copy.
pub(crate) type NameId = usize;

impl Names {
    /// The interned copy of `s`, if the log knows the name.
    pub fn get(&self, s: &str) -> Option<&Name> {
        self.set.get(s)
    }

    /// The identity of an interned name (see the module docs).
    #[inline]
    pub fn id(name: &Name) -> NameId {
        name.addr()
    }

    /// Replaces `name` with its interned copy, interning it when it is new.
    #[inline]
    pub fn intern_in_place(&mut self, name: &mut Name) {
        let slot = ((Self::id(name) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 55) as usize % CACHE;
        if let Some(Some((from, to))) = self.cache.get(slot) {
            if Name::ptr_eq(from, name) {
                if !Name::ptr_eq(to, name) {
                    *name = to.clone();
                }
                return;
            }
        }
        let interned = match self.set.get(&**name) {
            Some(i) => i.clone(),
            None => {
                self.set.insert(name.clone());
                name.clone()
            }
        };
        if self.cache.is_empty() {
            self.cache.resize(CACHE, None);
        }
        self.cache[slot] = Some((name.clone(), interned.clone()));
        *name = interned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_copy_whatever_pointer_they_came_with() {
        let mut names = Names::default();
        let mut a = Name::from("cart:1");
        let mut b = Name::from("cart:1");
        let mut c = Name::from("cart:2");
        names.intern_in_place(&mut a);
        names.intern_in_place(&mut b);
        names.intern_in_place(&mut c);
        assert!(Name::ptr_eq(&a, &b));
        assert!(!Name::ptr_eq(&a, &c));
        assert_eq!(Names::id(&a), Names::id(&b));
        // Through the cache (same incoming pointer again) and after many other names.
        let mut b2 = b.clone();
        names.intern_in_place(&mut b2);
        assert!(Name::ptr_eq(&a, &b2));
        for i in 0..1000 {
            let mut n = Name::from(format!("n{i}"));
            names.intern_in_place(&mut n);
        }
        let mut again = Name::from("cart:2");
        names.intern_in_place(&mut again);
        assert!(Name::ptr_eq(&again, &c));
        assert_eq!(&**names.get("n999").unwrap(), "n999");
    }
}
