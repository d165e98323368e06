//! Keep-both conflicts.
//!
//! Two or more concurrent events with the same `(stream, key)` form a **sibling set**: the
//! maximal events (in causal order) written to that key. An event whose causal past holds
//! every sibling **resolves** them. The library never resolves a conflict by itself.
//!
//! The current sibling sets are maintained incrementally: events are applied in causal
//! order, so a new event on a key replaces every current head it knows and joins the rest.
//! The history of a key (every conflict that ever existed and what resolved it) is
//! recomputed on demand by replaying the key's events in the total order, so it is the
//! same on every replica whatever order the events arrived in.

use super::hash::Map as HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::causal::CausalLookup;
use super::event::{sort_by_order, sort_indices_by_order, Event};
use super::id::EventId;

pub(crate) type SlotKey = (Arc<str>, Arc<str>);

/// A current conflict: the concurrent events on one `(stream, key)`, in total order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub stream: Arc<str>,
    pub key: Arc<str>,
    pub events: Vec<Event>,
}

/// One conflict in a key's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictRecord {
    pub stream: Arc<str>,
    pub key: Arc<str>,
    /// Every event that was a sibling while the conflict was open, in total order.
    pub siblings: Vec<EventId>,
    /// The event whose causal past held all siblings; `None` while still open.
    pub resolved_by: Option<EventId>,
}

#[derive(Default, Clone, Debug)]
pub(crate) struct Conflicts {
    /// Arena indices of the current heads of each key.
    heads: HashMap<SlotKey, Vec<u32>>,
    /// Arena indices of every event of each key, in arrival order.
    history: HashMap<SlotKey, Vec<u32>>,
}

impl Conflicts {
    /// Records the arrival of `arena[idx]` (all of its causal past is already recorded).
    pub fn on_event(&mut self, idx: u32, arena: &[Event], causal: &impl CausalLookup) {
        let e = &arena[idx as usize];
        let Some(key) = &e.key else { return };
        let slot = (e.stream.clone(), key.clone());
        let heads = self.heads.entry(slot.clone()).or_default();
        heads.retain(|h| !causal.knows(&e.id, &arena[*h as usize].id));
        heads.push(idx);
        self.history.entry(slot).or_default().push(idx);
    }

    /// Current sibling sets with more than one event, for streams matching `stream`.
    pub fn current(&self, arena: &[Event], stream: &dyn Fn(&str) -> bool) -> Vec<Conflict> {
        let mut out: Vec<Conflict> = self
            .heads
            .iter()
            .filter(|((s, _), h)| h.len() > 1 && stream(s))
            .map(|((s, k), h)| {
                let mut order = h.clone();
                sort_indices_by_order(&mut order, arena);
                let events: Vec<Event> = order.iter().map(|i| arena[*i as usize].clone()).collect();
                Conflict { stream: s.clone(), key: k.clone(), events }
            })
            .collect();
        // (stream, key) pairs are unique: the heads map is keyed by them.
        super::sort::sort_by(&mut out, |a, b| (&a.stream, &a.key).cmp(&(&b.stream, &b.key)));
        out
    }

    /// The current heads of one key (one event when there is no conflict).
    pub fn heads_of(&self, stream: &str, key: &str) -> Vec<u32> {
        self.heads.get(&(Arc::from(stream), Arc::from(key))).cloned().unwrap_or_default()
    }

    /// Every conflict that ever existed on keys of matching streams, resolved or not.
    pub fn history(
        &self,
        arena: &[Event],
        causal: &impl CausalLookup,
        stream: &dyn Fn(&str) -> bool,
    ) -> Vec<ConflictRecord> {
        let mut slots: Vec<&SlotKey> = self.history.keys().filter(|(s, _)| stream(s)).collect();
        super::sort::sort_by(&mut slots, Ord::cmp);
        let mut out = Vec::new();
        for slot in slots {
            let mut evs: Vec<&Event> = self.history[slot].iter().map(|i| &arena[*i as usize]).collect();
            sort_by_order(&mut evs);
            let mut heads: Vec<EventId> = Vec::new();
            let mut open: Option<ConflictRecord> = None;
            for e in evs {
                heads.retain(|h| !causal.knows(&e.id, h));
                heads.push(e.id);
                if heads.len() > 1 {
                    let rec = open.get_or_insert_with(|| ConflictRecord {
                        stream: slot.0.clone(),
                        key: slot.1.clone(),
                        siblings: Vec::new(),
                        resolved_by: None,
                    });
                    for h in &heads {
                        if !rec.siblings.contains(h) {
                            rec.siblings.push(*h);
                        }
                    }
                } else if let Some(mut rec) = open.take() {
                    rec.resolved_by = Some(e.id);
                    out.push(rec);
                }
            }
            out.extend(open);
        }
        out
    }
}
