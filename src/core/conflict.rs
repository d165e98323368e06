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
//! same on every replica whatever order the events arrived in. The key's events are read
//! off its stream's index (already in the total order), so a slot keeps no list of them.

use super::hash::Map as HashMap;

use serde::Serialize;

use super::causal::CausalLookup;
use super::event::{sort_indices_by_order, Event};
use super::id::EventId;
use super::log::names::NameId;
use super::log::Arena;
use super::name::Name;

/// A current conflict: the concurrent events on one `(stream, key)`, in total order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub stream: Name,
    pub key: Name,
    pub events: Vec<Event>,
}

/// One conflict in a key's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictRecord {
    pub stream: Name,
    pub key: Name,
    /// Every event that was a sibling while the conflict was open, in total order.
    pub siblings: Vec<EventId>,
    /// The event whose causal past held all siblings; `None` while still open.
    pub resolved_by: Option<EventId>,
}

/// One `(stream, key)` slot.
#[derive(Clone, Debug)]
struct Slot {
    stream: Name,
    key: Name,
    /// Arena indices of the current heads.
    heads: Vec<u32>,
}

/// Slots keyed by the identities of the interned stream and key names (the log interns
/// every event's names before recording it), so recording an event hashes two integers,
/// not two strings.
#[derive(Default, Clone, Debug)]
pub(crate) struct Conflicts {
    slots: HashMap<(NameId, NameId), Slot>,
}

impl Conflicts {
    /// Records the arrival of `arena[idx]`, whose id is `id` (all of its causal past is
    /// already recorded; its names are interned).
    pub fn on_event(&mut self, idx: u32, id: EventId, arena: &Arena, causal: &impl CausalLookup) {
        let Some(key) = arena.key_id(idx) else { return };
        let slot = self.slots.entry((arena.stream_id(idx), key)).or_insert_with(|| Slot {
            stream: arena.stream(idx).clone(),
            key: arena.names.name(key).clone(),
            heads: Vec::new(),
        });
        // A head by the same author is an earlier event of it, so known (no seq lookup).
        slot.heads.retain(|h| arena.actor(*h) != id.actor && !causal.knows(&id, &arena.id(*h)));
        slot.heads.push(idx);
    }

    /// Current sibling sets with more than one event, for streams matching `stream`.
    pub fn current(&self, arena: &Arena, stream: &dyn Fn(&str) -> bool) -> Vec<Conflict> {
        let mut out: Vec<Conflict> = self
            .slots
            .values()
            .filter(|s| s.heads.len() > 1 && stream(&s.stream))
            .map(|s| {
                let mut order = s.heads.clone();
                sort_indices_by_order(&mut order, arena);
                let events: Vec<Event> = order.iter().map(|i| arena.at(*i as usize).to_event()).collect();
                Conflict { stream: s.stream.clone(), key: s.key.clone(), events }
            })
            .collect();
        // (stream, key) pairs are unique: the slots are keyed by them.
        super::sort::sort_by(&mut out, |a, b| (&a.stream, &a.key).cmp(&(&b.stream, &b.key)));
        out
    }

    /// The current heads of one key (one event when there is no conflict), by the
    /// identities of its interned names.
    pub fn heads_of(&self, slot: (NameId, NameId)) -> &[u32] {
        self.slots.get(&slot).map_or(&[], |s| s.heads.as_slice())
    }

    /// Every conflict that ever existed on keys of matching streams, resolved or not.
    /// `streams` is the log's per-stream index (arena indices in the total order).
    pub fn history(
        &self,
        arena: &Arena,
        streams: &HashMap<NameId, Vec<u32>>,
        causal: &impl CausalLookup,
        stream: &dyn Fn(&str) -> bool,
    ) -> Vec<ConflictRecord> {
        let mut slots: Vec<(&(NameId, NameId), &Slot)> = self.slots.iter().filter(|(_, s)| stream(&s.stream)).collect();
        super::sort::sort_by(&mut slots, |a, b| (&a.1.stream, &a.1.key).cmp(&(&b.1.stream, &b.1.key)));
        let mut out = Vec::new();
        // The keyed events of the stream at hand, by key (the slots of one stream are
        // adjacent in that order): one pass over each stream's index.
        let mut by_key: Option<(NameId, HashMap<NameId, Vec<u32>>)> = None;
        for (&(s, k), slot) in slots {
            if by_key.as_ref().is_none_or(|(at, _)| *at != s) {
                let mut m: HashMap<NameId, Vec<u32>> = HashMap::default();
                for i in streams.get(&s).map_or(&[][..], |v| v.as_slice()) {
                    if let Some(key) = arena.key_id(*i) {
                        m.entry(key).or_default().push(*i);
                    }
                }
                by_key = Some((s, m));
            }
            let evs = by_key.as_ref().and_then(|(_, m)| m.get(&k)).map_or(&[][..], |v| v.as_slice());
            let evs = evs.iter().map(|i| arena.at(*i as usize));
            let mut heads: Vec<EventId> = Vec::new();
            let mut open: Option<ConflictRecord> = None;
            for e in evs {
                heads.retain(|h| !causal.knows(&e.id(), h));
                heads.push(e.id());
                if heads.len() > 1 {
                    let rec = open.get_or_insert_with(|| ConflictRecord {
                        stream: slot.stream.clone(),
                        key: slot.key.clone(),
                        siblings: Vec::new(),
                        resolved_by: None,
                    });
                    for h in &heads {
                        if !rec.siblings.contains(h) {
                            rec.siblings.push(*h);
                        }
                    }
                } else if let Some(mut rec) = open.take() {
                    rec.resolved_by = Some(e.id());
                    out.push(rec);
                }
            }
            out.extend(open);
        }
        out
    }
}
