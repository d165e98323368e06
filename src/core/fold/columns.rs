//! A per-log cache of extracted columns, so repeated built-in folds do not rescan JSON.
//!
//! Scanning an event's JSON for a field costs tens of nanoseconds; a fold over a million
//! events would spend nearly all its time there, and a UI folds the same log again and
//! again. The log's events never change and their arena indices never move (merges only
//! reorder the index of the total order), so a column extracted once, indexed by arena
//! index, stays valid for ever and only grows at the end as events arrive.
//!
//! - a **number column** holds, per event, the value of one top-level numeric field (NaN
//!   when the event lacks it or it is not a finite number: JSON has no NaN, so it is a
//!   free "skip" mark);
//! - a **group column** holds, per event, the id of the group named by one top-level field
//!   (`u32::MAX` when missing or unusable) and the table of group names.
//!
//! Memory: 8 bytes per event per number column, 4 per group column (plus each distinct
//! group name once). At most [`MAX_NUMBER_COLUMNS`] and [`MAX_GROUP_COLUMNS`] are kept,
//! least recently used out first, so the cache never holds more than 32 bytes per event;
//! [`Log::clear_fold_cache`](crate::core::log::Log) drops them all. A cloned log starts
//! with an empty cache (a clone's arena diverges from the original's).
//!
//! The cache sits behind a mutex so that folding stays a `&Log` operation and the log stays
//! `Sync`; it is locked once per fold, not per event.

use std::collections::HashMap;
use std::sync::Mutex;

use super::numeric::FxBuild;
use super::scan;
use crate::core::log::Arena;

/// Number columns kept at once.
pub const MAX_NUMBER_COLUMNS: usize = 3;
/// Group columns kept at once.
pub const MAX_GROUP_COLUMNS: usize = 2;

/// "No group" in a group column.
pub const NO_GROUP: u32 = u32::MAX;

#[derive(Default)]
pub struct ColumnCache(Mutex<Store>);

impl Clone for ColumnCache {
    fn clone(&self) -> Self {
        ColumnCache::default()
    }
}

impl std::fmt::Debug for ColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ColumnCache")
    }
}

#[derive(Default)]
struct Store {
    tick: u64,
    /// Events folded one by one because extracting the columns would have scanned more
    /// ([`ColumnCache::pays_off`]): once these add up to what the columns lack, extracting
    /// them is cheaper than going on that way.
    singly: usize,
    numbers: Vec<NumberColumn>,
    groups: Vec<GroupColumn>,
}

impl Store {
    /// [`ColumnCache::lacking`], for a log of `len` events.
    fn lacking(&self, len: usize, numbers: &[&str], groups: &[&str]) -> usize {
        let mut least = len;
        for f in numbers {
            least = least.min(self.numbers.iter().find(|c| &*c.field == *f).map_or(0, |c| c.values.len()));
        }
        for f in groups {
            least = least.min(self.groups.iter().find(|c| &*c.field == *f).map_or(0, |c| c.ids.len()));
        }
        len - least
    }
}

struct NumberColumn {
    field: Box<str>,
    used: u64,
    values: Vec<f64>,
}

struct GroupColumn {
    field: Box<str>,
    used: u64,
    ids: Vec<u32>,
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32, FxBuild>,
}

impl NumberColumn {
    fn extend(&mut self, arena: &Arena) {
        let from = self.values.len();
        self.values.extend(
            arena
                .iter_from(from)
                .map(|e| scan::field(e.data(), &self.field).and_then(scan::number).unwrap_or(f64::NAN)),
        );
    }
}

impl GroupColumn {
    fn extend(&mut self, arena: &Arena) {
        let from = self.ids.len();
        for e in arena.iter_from(from) {
            let id = match scan::field(e.data(), &self.field).and_then(scan::group_name) {
                None => NO_GROUP,
                Some(name) => match self.index.get(&*name) {
                    Some(id) => *id,
                    None if self.names.len() < NO_GROUP as usize => {
                        let id = self.names.len() as u32;
                        let name: Box<str> = name.into();
                        self.names.push(name.clone());
                        self.index.insert(name, id);
                        id
                    }
                    None => NO_GROUP, // 4 billion distinct groups: unreachable in practice
                },
            };
            self.ids.push(id);
        }
    }
}

/// The position of `field` in `cols` (created, evicting the least recently used, if absent).
fn slot<T>(
    cols: &mut Vec<T>,
    max: usize,
    field: &str,
    name: impl Fn(&T) -> &str,
    used: impl Fn(&T) -> u64,
    make: impl FnOnce() -> T,
) -> usize {
    if let Some(i) = cols.iter().position(|c| name(c) == field) {
        return i;
    }
    if cols.len() >= max {
        if let Some(i) = (0..cols.len()).min_by_key(|i| used(&cols[*i])) {
            cols.swap_remove(i);
        }
    }
    cols.push(make());
    cols.len() - 1
}

impl ColumnCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while extending leaves a column covering a prefix: still consistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops every column.
    pub fn clear(&self) {
        *self.lock() = Store::default();
    }

    /// How many events of `arena` the least complete of these columns still lacks (all of
    /// them for a column not extracted yet): what reading them from the cache would scan.
    pub fn lacking(&self, arena: &Arena, numbers: &[&str], groups: &[&str]) -> usize {
        self.lock().lacking(arena.len(), numbers, groups)
    }

    /// Should a run with `left` events read these columns (extending them to all of
    /// `arena`) rather than fold its events one by one? Yes when the run is at least as
    /// long as what the columns lack, so the events since a projection's snapshot do not
    /// cost a scan of the whole log; and yes once the events folded one by one since the
    /// last extension add up to it, so projections that rewind over long stretches again
    /// and again build the columns once (a scan costs at most twice what it saves).
    pub fn pays_off(&self, arena: &Arena, numbers: &[&str], groups: &[&str], left: usize) -> bool {
        let mut store = self.lock();
        let pays = left + store.singly >= store.lacking(arena.len(), numbers, groups);
        store.singly = if pays { 0 } else { store.singly + left };
        pays
    }

    /// Calls `f` with the number column of `field`, covering all of `arena`.
    pub fn with_numbers<R>(&self, arena: &Arena, field: &str, f: impl FnOnce(&[f64]) -> R) -> R {
        let mut store = self.lock();
        let store = &mut *store;
        store.tick += 1;
        let tick = store.tick;
        let i = slot(
            &mut store.numbers,
            MAX_NUMBER_COLUMNS,
            field,
            |c| &c.field,
            |c| c.used,
            || NumberColumn { field: field.into(), used: tick, values: Vec::new() },
        );
        let col = &mut store.numbers[i];
        col.used = tick;
        col.extend(arena);
        f(&col.values)
    }

    /// Calls `f` with the group column of `key` (ids, names) and the number column of
    /// `field`, both covering all of `arena`.
    pub fn with_groups<R>(
        &self,
        arena: &Arena,
        key: &str,
        field: &str,
        f: impl FnOnce(&[u32], &[Box<str>], &[f64]) -> R,
    ) -> R {
        let mut store = self.lock();
        let store = &mut *store;
        store.tick += 1;
        let tick = store.tick;
        let g = slot(
            &mut store.groups,
            MAX_GROUP_COLUMNS,
            key,
            |c| &c.field,
            |c| c.used,
            || GroupColumn {
                field: key.into(),
                used: tick,
                ids: Vec::new(),
                names: Vec::new(),
                index: HashMap::default(),
            },
        );
        let n = slot(
            &mut store.numbers,
            MAX_NUMBER_COLUMNS,
            field,
            |c| &c.field,
            |c| c.used,
            || NumberColumn { field: field.into(), used: tick, values: Vec::new() },
        );
        let (groups, numbers) = (&mut store.groups[g], &mut store.numbers[n]);
        groups.used = tick;
        numbers.used = tick;
        groups.extend(arena);
        numbers.extend(arena);
        f(&groups.ids, &groups.names, &numbers.values)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::core::fold::{Builtin, Projection, ProjectionOptions};
    use crate::core::log::{AppendOptions, Log};
    use crate::core::{ActorId, Draft, Filter};

    fn items(from: usize, n: usize) -> Vec<Draft> {
        (from..from + n)
            .map(|i| {
                Draft::new(&format!("cart:{}", i % 7), "ItemAdded", json!({"sku": format!("s{}", i % 5), "qty": i}))
            })
            .collect()
    }

    /// The events since a snapshot are folded one by one: restoring a projection over a long
    /// log does not scan the whole log into columns (what made an open with a snapshot as
    /// slow as without), and gives the same state as folding from scratch; a full fold
    /// still builds the columns.
    #[test]
    fn a_short_run_is_folded_without_extracting_columns() {
        let fold = Builtin::group_sum("sku", "qty");
        let filter = Filter::default();
        let mut a = Log::new(ActorId::from_u128(1));
        a.append(items(0, 500), &AppendOptions::default(), 1).unwrap();
        let bytes =
            Projection::open(&a, fold.clone(), filter.clone(), ProjectionOptions::default()).snapshot(&a).unwrap();
        a.append(items(500, 3), &AppendOptions::default(), 2).unwrap();

        let mut b = Log::new(ActorId::from_u128(1));
        b.restore(a.iter().map(|e| e.to_event())).unwrap();
        let (p, report) =
            Projection::restore(&b, fold.clone(), filter.clone(), ProjectionOptions::default(), &bytes).unwrap();
        assert!(report.from_snapshot);
        assert_eq!(report.applied, 3);
        assert_eq!(p.state(), &b.fold(&fold, &filter));
        // `b.fold` above folded all 503 events: that one built the columns.
        assert_eq!(b.fold_columns().lacking(b.arena_events(), &["qty"], &["sku"]), 0);

        let mut c = Log::new(ActorId::from_u128(1));
        c.restore(a.iter().map(|e| e.to_event())).unwrap();
        let (p, _) =
            Projection::restore(&c, fold.clone(), filter.clone(), ProjectionOptions::default(), &bytes).unwrap();
        assert_eq!(c.fold_columns().lacking(c.arena_events(), &["qty"], &["sku"]), 503, "no column extracted");
        assert_eq!(p.state(), &b.fold(&fold, &filter));
    }

    /// Runs too short to pay for a scan are folded one by one until they add up to one:
    /// a projection that rewinds over half the log again and again (merges landing early)
    /// builds the columns on its second rewind instead of parsing every payload each time.
    #[test]
    fn short_runs_add_up_to_a_scan() {
        let mut log = Log::new(ActorId::from_u128(1));
        log.append(items(0, 100), &AppendOptions::default(), 1).unwrap();
        let cache = log.fold_columns();
        let arena = log.arena_events();
        assert!(!cache.pays_off(arena, &["qty"], &["sku"], 40));
        assert!(!cache.pays_off(arena, &["qty"], &["sku"], 40));
        assert!(cache.pays_off(arena, &["qty"], &["sku"], 40), "120 folded singly ≥ 100 lacking");
        assert!(cache.pays_off(arena, &["qty"], &["sku"], 100), "a run as long as the log pays at once");
        assert_eq!(cache.lacking(arena, &["qty"], &["sku"]), 100, "deciding extracts nothing");
    }

    /// The cache must not cost the log its thread-safety (the relay shares logs).
    #[test]
    fn the_log_stays_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Log>();
    }
}
