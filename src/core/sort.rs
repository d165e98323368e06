//! One sort routine for the whole crate.
//!
//! Every `sort_unstable_by` call links its own copy of the standard library's sort for its
//! element type and comparator (about 2.5 KB of wasm each); the npm package had eight of
//! them (docs/size.md). On wasm32, [`sort_by`] therefore sorts a permutation of `u32`
//! positions with a `dyn` comparator, through one shared instance, and then moves the
//! elements into place along the permutation's cycles (no `Clone` needed). Natively, where
//! code size does not matter and the folds and merges are benchmarked, it is the standard
//! library's sort itself. Both are unstable sorts: every caller sorts keys that are unique
//! (or equal only for equal elements), so both give the one exact order.

use std::cmp::Ordering;

/// Sorts `v` by `cmp` (unstable).
#[inline]
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    shared_sort_by(v, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable_by(cmp);
}

/// Sorts `u32` positions by `cmp`: the one instance of the standard sort on wasm32.
#[inline(never)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn sort_positions(positions: &mut [u32], cmp: &dyn Fn(u32, u32) -> Ordering) {
    positions.sort_unstable_by(|a, b| cmp(*a, *b));
}

/// [`sort_by`] through [`sort_positions`] (what wasm32 uses; tested natively too).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn shared_sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut perm: Vec<u32> = (0..v.len() as u32).collect();
    sort_positions(&mut perm, &|a, b| cmp(&v[a as usize], &v[b as usize]));
    // perm[i] is the old position of the element that belongs at i: follow each cycle,
    // swapping along it, and mark each visited position done (perm[p] = p).
    for i in 0..v.len() {
        let mut cur = i;
        loop {
            let next = perm[cur] as usize;
            perm[cur] = cur as u32;
            if next == i || next == cur {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_sort_agrees_with_the_standard_one() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in [0usize, 1, 2, 3, 7, 20, 33, 100, 1000] {
            let mut v: Vec<(u64, String)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (seed >> 54, format!("v{i}"))
                })
                .collect();
            let mut expected = v.clone();
            expected.sort();
            shared_sort_by(&mut v, |a, b| a.cmp(b));
            assert_eq!(v, expected, "len {len}");
        }
    }
}
