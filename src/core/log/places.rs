//! Where one actor's events are in the arena: the arena index of each seq.
//!
//! An actor's events reach the arena in seq order (its seqs are gapless and every event
//! comes after its author's previous one), so their arena indices ascend with the seq.
//! They mostly come in runs of consecutive arena indices (a local append, a received
//! batch of one author), so the places are kept as runs, `(seq - 1, arena index)` of each
//! run's first event: 8 bytes per run instead of 4 per event (one run for a log of local
//! appends). When runs are short (authors interleaving event by event) and the runs would
//! take more room than a plain list, the places switch to that list, one `u32` per event.
//! Either way a lookup is a binary search (or an index) and nothing else.

#[derive(Clone, Debug)]
enum Repr {
    /// `(seq - 1, arena index)` of the first event of each run, ascending in both.
    Runs(Vec<(u32, u32)>),
    /// The arena index of every event, by `seq - 1`.
    Flat(Vec<u32>),
}

#[derive(Clone, Debug)]
pub(super) struct Places {
    repr: Repr,
    len: u32,
}

impl Default for Places {
    fn default() -> Self {
        Places { repr: Repr::Runs(Vec::new()), len: 0 }
    }
}

impl Places {
    /// Number of events (the actor's highest seq).
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Records the next event (seq `len + 1`) at arena index `i`, above every index so far.
    pub fn push(&mut self, i: u32) {
        let n = self.len;
        if let Repr::Runs(runs) = &self.repr {
            let extends = runs.last().is_some_and(|&(s, at)| at + (n - s) == i);
            // A new run costs 8 bytes; past one run per two events, a list is smaller.
            if !extends && runs.len() as u32 >= n / 2 && n >= 16 {
                let flat: Vec<u32> = (0..n).filter_map(|k| self.get(k)).collect();
                self.repr = Repr::Flat(flat);
            }
        }
        match &mut self.repr {
            Repr::Runs(runs) => {
                if runs.last().is_none_or(|&(s, at)| at + (n - s) != i) {
                    runs.push((n, i));
                }
            }
            Repr::Flat(v) => v.push(i),
        }
        self.len += 1;
    }

    /// The arena index of the event with seq `k + 1`.
    #[inline]
    pub fn get(&self, k: u32) -> Option<u32> {
        if k >= self.len {
            return None;
        }
        match &self.repr {
            Repr::Runs(runs) => {
                // Most lookups are of recent events (an author's previous event): the last
                // run first, without a search.
                let (s, at) = match runs.last() {
                    Some(&(s, at)) if s <= k => (s, at),
                    _ => runs[runs.partition_point(|(s, _)| *s <= k).checked_sub(1)?],
                };
                Some(at + (k - s))
            }
            Repr::Flat(v) => v.get(k as usize).copied(),
        }
    }

    /// `seq - 1` of the event at arena index `i`, which must be one of these events.
    #[inline]
    pub fn rank(&self, i: u32) -> u32 {
        match &self.repr {
            Repr::Runs(runs) => {
                let (s, at) = match runs.last() {
                    Some(&(s, at)) if at <= i => (s, at),
                    _ => {
                        runs.get(runs.partition_point(|(_, at)| *at <= i).saturating_sub(1)).copied().unwrap_or((0, i))
                    }
                };
                s + (i - at)
            }
            Repr::Flat(v) => {
                // Distinct ascending indices: the rank is at most `i`.
                let hint = (i as usize).min(v.len().saturating_sub(1));
                if v.get(hint) == Some(&i) {
                    return hint as u32;
                }
                v[..hint].binary_search(&i).unwrap_or(0) as u32
            }
        }
    }

    /// Appends the arena indices of seqs `from + 1 ..= to` (clamped) to `out`.
    pub fn extend_range(&self, from: u32, to: u32, out: &mut Vec<u32>) {
        let to = to.min(self.len);
        match &self.repr {
            Repr::Runs(_) => out.extend((from.min(to)..to).filter_map(|k| self.get(k))),
            Repr::Flat(v) => out.extend_from_slice(&v[from.min(to) as usize..to as usize]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `indices`, then checks every lookup against the plain list.
    fn check(indices: &[u32]) -> Places {
        let mut p = Places::default();
        for i in indices {
            p.push(*i);
        }
        assert_eq!(p.len() as usize, indices.len());
        for (k, i) in indices.iter().enumerate() {
            assert_eq!(p.get(k as u32), Some(*i), "get {k}");
            assert_eq!(p.rank(*i), k as u32, "rank {i}");
        }
        assert_eq!(p.get(indices.len() as u32), None);
        for (from, to) in [(0, indices.len() as u32), (3, 9), (9, 3), (5, 1_000_000)] {
            let mut out = Vec::new();
            p.extend_range(from, to, &mut out);
            let (f, t) = ((from as usize).min(indices.len()), (to as usize).min(indices.len()));
            assert_eq!(out, indices[f.min(t)..t], "range {from}..{to}");
        }
        p
    }

    #[test]
    fn runs_while_they_are_long_a_flat_list_once_they_are_short() {
        // One run (local appends).
        let p = check(&(0..1000).collect::<Vec<_>>());
        assert!(matches!(&p.repr, Repr::Runs(r) if r.len() == 1));
        // Batches of 100 from three authors: this one's every third batch.
        let batches: Vec<u32> = (0..3000).filter(|i| (i / 100) % 3 == 1).collect();
        let p = check(&batches);
        assert!(matches!(&p.repr, Repr::Runs(r) if r.len() == 10));
        // Interleaved event by event: the plain list.
        let p = check(&(0..1000).map(|i| 2 * i + 1).collect::<Vec<_>>());
        assert!(matches!(&p.repr, Repr::Flat(_)));
        // Runs first, then interleaving.
        let mixed: Vec<u32> = (0..500).chain((0..500).map(|i| 600 + 3 * i)).collect();
        let p = check(&mixed);
        assert!(matches!(&p.repr, Repr::Flat(_)));
        check(&[]);
        check(&[7]);
    }
}
