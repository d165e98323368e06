//! The hash maps of the log's hot paths.
//!
//! Every append, receive and cold open hashes actor ids, event ids and stream / type /
//! key names several times per event. std's SipHash-1-3 made hashing a quarter of the
//! instructions of those paths (callgrind, see docs/performance.md); `foldhash` is several
//! times faster on short keys.
//!
//! foldhash seeds itself from address-space layout and the clock, and says itself that it
//! does not promise HashDoS resistance. The log's maps are filled from the network (the
//! relay receives stream names and keys chosen by remote peers), so [`Seeded`] keys every
//! map from the platform's secure random source instead: a process-wide 64-bit seed
//! expanded by foldhash, plus a fresh per-map seed. An attacker cannot precompute
//! colliding keys without those seeds. Iteration order was already random with std's
//! hasher; nothing may depend on it (callers sort where order matters).

use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::fast::{FoldHasher, SeedableRandomState};
use foldhash::SharedSeed;

/// No set type: each (key, value) pair of a hash map is its own copy of hashbrown's code
/// in the wasm package, so where a set would do, the code uses a `Map<K, usize>` of a key
/// type that already has one (docs/size.md).
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, Seeded>;

/// foldhash keyed from the platform's secure random source.
#[derive(Clone, Debug)]
pub(crate) struct Seeded(SeedableRandomState);

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // Without a random source, fall back to foldhash's own seeding (never panic here).
    match getrandom::fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => foldhash::fast::RandomState::default().hash_one(0u8),
    }
}

impl Default for Seeded {
    fn default() -> Self {
        static SHARED: OnceLock<SharedSeed> = OnceLock::new();
        let shared = SHARED.get_or_init(|| SharedSeed::from_u64(random_u64()));
        // Per-map seed: cheap and distinct per map, derived without a system call.
        thread_local! {
            static NEXT: std::cell::Cell<u64> = std::cell::Cell::new(random_u64());
        }
        let per_map = NEXT.with(|n| {
            let v = n.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            n.set(v);
            v
        });
        Seeded(SeedableRandomState::with_seed(per_map, shared))
    }
}

impl BuildHasher for Seeded {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// An empty map with room for `n` entries.
pub(crate) fn map_with_capacity<K, V>(n: usize) -> Map<K, V> {
    Map::with_capacity_and_hasher(n, Seeded::default())
}
