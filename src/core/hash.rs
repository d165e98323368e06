//! The hash maps of the log's hot paths.
//!
//! Every append, receive and cold open hashes actor ids, event ids and stream / type /
//! key names several times per event. std's SipHash-1-3 made hashing a quarter of the
//! instructions of those paths; `foldhash` is several times faster on short keys. Its
//! `fast::RandomState` is seeded per process (per map), so a remote peer that chooses
//! stream names still cannot precompute colliding keys, which keeps the log's maps safe
//! to fill from the network (the relay does). Iteration order was already random with
//! std's hasher; nothing may depend on it (callers sort where order matters).

pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// An empty map with room for `n` entries.
pub(crate) fn map_with_capacity<K, V>(n: usize) -> Map<K, V> {
    Map::with_capacity_and_hasher(n, Default::default())
}

/// An empty set with room for `n` entries.
pub(crate) fn set_with_capacity<K>(n: usize) -> Set<K> {
    Set::with_capacity_and_hasher(n, Default::default())
}
