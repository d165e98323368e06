//! Version vectors: `{actor: highest contiguous seq}`.
//!
//! A version names a causally closed set of events: every event `(a, s)` with
//! `s <= vv[a]`. Two replicas with equal versions hold exactly the same events.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::id::{ActorId, EventId};

/// A version vector. Actors absent from the map are at 0.
///
/// Stored as a vector of `(actor, seq)` sorted by actor, without zero entries: logs have a
/// handful of actors, and the merge path reads and raises a version once or twice per
/// event, where a binary search over a few contiguous entries is several times cheaper
/// than a B-tree's node walk. Serialized exactly like the `BTreeMap<ActorId, u64>` it
/// replaced (a map in actor order).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct VersionVector(Vec<(ActorId, u64)>);

impl VersionVector {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn find(&self, actor: &ActorId) -> Result<usize, usize> {
        self.0.binary_search_by(|(a, _)| a.cmp(actor))
    }

    /// The highest seq of `actor` included (0 when none).
    #[inline]
    pub fn get(&self, actor: &ActorId) -> u64 {
        match self.find(actor) {
            Ok(i) => self.0[i].1,
            Err(_) => 0,
        }
    }

    /// Sets `actor` to `seq` (removes the entry at 0 so equal versions compare equal).
    pub fn set(&mut self, actor: ActorId, seq: u64) {
        match (self.find(&actor), seq) {
            (Ok(i), 0) => {
                self.0.remove(i);
            }
            (Ok(i), s) => self.0[i].1 = s,
            (Err(_), 0) => {}
            (Err(i), s) => self.0.insert(i, (actor, s)),
        }
    }

    /// Raises `actor` to at least `seq`.
    #[inline]
    pub fn raise(&mut self, actor: ActorId, seq: u64) {
        if seq > 0 {
            match self.find(&actor) {
                Ok(i) => {
                    let e = &mut self.0[i].1;
                    if *e < seq {
                        *e = seq;
                    }
                }
                Err(i) => self.0.insert(i, (actor, seq)),
            }
        }
    }

    /// Does this version include event `id`?
    #[inline]
    pub fn includes(&self, id: &EventId) -> bool {
        self.get(&id.actor) >= id.seq
    }

    /// Appends the JSON serde writes for it (`{"<actor hex>": seq, …}`), by hand: the wasm
    /// package then links no serde_json serializer (docs/size.md).
    pub fn push_json(&self, out: &mut String) {
        out.push('{');
        for (i, (a, s)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(&a.to_hex());
            out.push_str("\":");
            out.push_str(&s.to_string());
        }
        out.push('}');
    }

    /// Pointwise maximum.
    pub fn merge(&mut self, other: &VersionVector) {
        for (a, s) in &other.0 {
            self.raise(*a, *s);
        }
    }

    /// Is every event of `self` also in `other`?
    pub fn le(&self, other: &VersionVector) -> bool {
        self.0.iter().all(|(a, s)| other.get(a) >= *s)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ActorId, u64)> + '_ {
        self.0.iter().map(|(a, s)| (a, *s))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Total number of events this version names.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, s)| s).sum()
    }
}

impl Serialize for VersionVector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(a, n)| (a, n)))
    }
}

impl<'de> Deserialize<'de> for VersionVector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<ActorId, u64>::deserialize(d)?;
        // Zero entries were kept by the map form; they mean "absent".
        Ok(VersionVector(map.into_iter().filter(|(_, s)| *s > 0).collect()))
    }
}

impl std::fmt::Debug for VersionVector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(a, s)| (a, s))).finish()
    }
}

impl FromIterator<(ActorId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ActorId, u64)>>(iter: I) -> Self {
        let mut v = VersionVector::new();
        for (a, s) in iter {
            v.raise(a, s);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_order() {
        let (a, b) = (ActorId::from_u128(1), ActorId::from_u128(2));
        let x: VersionVector = [(a, 3), (b, 1)].into_iter().collect();
        let y: VersionVector = [(a, 1), (b, 4)].into_iter().collect();
        assert!(!x.le(&y) && !y.le(&x));
        let mut m = x.clone();
        m.merge(&y);
        assert_eq!(m, [(a, 3), (b, 4)].into_iter().collect());
        assert!(x.le(&m) && y.le(&m));
        assert!(m.includes(&EventId::new(b, 4)) && !m.includes(&EventId::new(b, 5)));
        let mut z = m.clone();
        z.set(b, 0);
        assert_eq!(z.len(), 1);
    }
}
