//! [`Name`]: an event's stream, type or key, in one pointer.
//!
//! Names repeat across events (a log holds one interned copy of each distinct name, see
//! `log::names`), so what matters per event is the size of the handle, not of the text.
//! `Arc<str>` is a fat pointer (16 bytes); `Name` wraps an `Arc<Box<str>>`, a thin pointer
//! (8 bytes, and `Option<Name>` too), at the price of one extra allocation and indirection
//! per *distinct* name. With three names per event that is 24 bytes less per event in the
//! log (issue #2, docs/core-performance.md). No unsafe code.
//!
//! It behaves like a shared `str`: derefs to `str`, compares, orders and hashes by its
//! text (so maps keyed by `Name` answer `&str` lookups), and serializes as a string.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A shared, immutable name (stream, type, key, idempotency key). See the module docs.
#[derive(Clone)]
pub struct Name(Arc<Box<str>>);

impl Name {
    /// Do both point at the same copy? (The log's interned names are equal exactly when
    /// they do.)
    #[inline]
    pub fn ptr_eq(a: &Name, b: &Name) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The address of the shared copy: its identity while someone holds it.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    #[inline]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Name {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        Name::ptr_eq(self, o) || *self.0 == *o.0
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, o: &str) -> bool {
        **self.0 == *o
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, o: &&str) -> bool {
        **self.0 == **o
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Name {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(o.as_str())
    }
}

impl Hash for Name {
    /// As `str` hashes, so that `&str` lookups in maps keyed by `Name` work.
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(Arc::new(s.into()))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Self {
        Name::from(s.as_str())
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Arc::new(s.into_boxed_str()))
    }
}

impl From<Box<str>> for Name {
    fn from(s: Box<str>) -> Self {
        Name(Arc::new(s))
    }
}

impl From<Arc<str>> for Name {
    fn from(s: Arc<str>) -> Self {
        Name::from(&*s)
    }
}

impl From<&Name> for Arc<str> {
    fn from(n: &Name) -> Self {
        Arc::from(n.as_str())
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<str>::deserialize(d).map(Name::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn one_pointer_and_behaves_like_its_text() {
        assert_eq!(std::mem::size_of::<Name>(), std::mem::size_of::<usize>());
        assert_eq!(std::mem::size_of::<Option<Name>>(), std::mem::size_of::<usize>());
        let a = Name::from("cart:1");
        let b = Name::from(String::from("cart:1"));
        assert!(a == b && !Name::ptr_eq(&a, &b) && Name::ptr_eq(&a, &a.clone()));
        assert!(a == "cart:1" && &*a == "cart:1" && a.len() == 6);
        assert_eq!(Name::from("a").cmp(&Name::from("b")), std::cmp::Ordering::Less);
        let mut m: HashMap<Name, u32> = HashMap::new();
        m.insert(a.clone(), 7);
        assert_eq!(m.get("cart:1"), Some(&7));
        assert_eq!(format!("{a} {a:?}"), "cart:1 \"cart:1\"");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"cart:1\"");
        assert_eq!(serde_json::from_str::<Name>(&json).unwrap(), a);
    }
}
