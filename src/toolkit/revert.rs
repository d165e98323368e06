//! Compensating events: undo by appending, never by deleting.
//!
//! [`revert`] appends a compensating draft with meta `"reverts"` = the original's id.
//! The original is already in the log, and a local event's causal past is everything
//! the log holds (the log adds the dependencies), so the compensation happened after
//! the original on every replica. Nothing is deleted or rewritten.
//!
//! Folds see both events. What a revert means is the reducer's business: a reducer may
//! apply the compensation as an ordinary event (e.g. `ItemRemoved` after `ItemAdded`),
//! or skip events for which [`Reverts::is_reverted`] holds. The built-in folds ignore
//! nothing: they count and sum compensating events like any other.
//!
//! Reverting a compensation undoes the undo: [`Reverts::is_reverted`] is true when some
//! event reverts this one and is not itself reverted. Queries scan the log once
//! ([`Reverts::of`]) and then answer from an index.

use std::collections::HashMap;

use super::error::ToolkitError;
use crate::core::event::{Draft, Event};
use crate::core::event_ref::EventRef;
use crate::core::id::EventId;
use crate::core::log::{AppendOptions, Log};
use crate::store::{Replica, Storage};

/// The meta key linking a compensating event to the one it reverts.
pub const REVERTS_META_KEY: &str = "reverts";

/// The compensation draft for `original`: meta `reverts` set, stream defaulted to the
/// original's. Fails when `original` is not in the log.
pub fn revert_draft(log: &Log, original: &EventId, mut compensate: Draft) -> Result<Draft, ToolkitError> {
    let e = log.get(original).ok_or(ToolkitError::UnknownEvent(*original))?;
    if compensate.stream.is_empty() {
        compensate.stream = e.stream().to_string();
    }
    compensate.meta.insert(REVERTS_META_KEY.to_owned(), original.to_string());
    Ok(compensate)
}

/// Appends a compensating event for `original` (see the module docs).
pub fn revert(log: &mut Log, original: &EventId, compensate: Draft, now_ms: u64) -> Result<Event, ToolkitError> {
    let d = revert_draft(log, original, compensate)?;
    let mut out = log.append(vec![d], &AppendOptions::default(), now_ms)?;
    Ok(out.remove(0))
}

/// [`revert`] through a replica (persisted before it is applied).
pub async fn revert_replica<S: Storage>(
    replica: &mut Replica<S>,
    original: &EventId,
    compensate: Draft,
    now_ms: u64,
) -> Result<Event, ToolkitError> {
    let d = revert_draft(replica.log(), original, compensate)?;
    let mut out = replica.append(vec![d], &AppendOptions::default(), now_ms).await?;
    Ok(out.remove(0))
}

/// The id an event reverts, if it is a compensation (a malformed value is ignored).
pub fn reverts(e: EventRef<'_>) -> Option<EventId> {
    e.meta().get(REVERTS_META_KEY).and_then(|v| v.parse().ok())
}

/// Which events revert which: built by one scan of a log.
#[derive(Clone, Debug, Default)]
pub struct Reverts {
    /// Original → compensations, in the total order.
    by_original: HashMap<EventId, Vec<EventId>>,
}

impl Reverts {
    pub fn of(log: &Log) -> Self {
        let mut by_original: HashMap<EventId, Vec<EventId>> = HashMap::new();
        for e in log.iter() {
            // Only a compensation that saw the original counts: that rules out cycles a
            // remote writer could forge by naming ids ahead of time.
            if let Some(o) = reverts(e).filter(|o| log.happened_before(o, &e.id())) {
                by_original.entry(o).or_default().push(e.id());
            }
        }
        Reverts { by_original }
    }

    /// The events that revert `id`, in the total order.
    pub fn reverted_by(&self, id: &EventId) -> &[EventId] {
        self.by_original.get(id).map_or(&[], Vec::as_slice)
    }

    /// Is `id` reverted by a compensation that is itself in force (not reverted)?
    pub fn is_reverted(&self, id: &EventId) -> bool {
        // Iterative evaluation (chains of undo/redo from remote peers can be long).
        // Indexed compensations come causally after what they revert, so there is no
        // cycle; the memo makes each id evaluated once.
        let mut memo: HashMap<EventId, bool> = HashMap::new();
        let mut stack = vec![*id];
        while let Some(top) = stack.last().copied() {
            if memo.contains_key(&top) {
                stack.pop();
                continue;
            }
            let by = self.reverted_by(&top);
            let unknown: Vec<EventId> = by.iter().filter(|r| !memo.contains_key(r)).copied().collect();
            if unknown.is_empty() {
                let v = by.iter().any(|r| !memo[r]);
                memo.insert(top, v);
                stack.pop();
            } else {
                stack.extend(unknown);
            }
        }
        memo[id]
    }
}

/// The events that revert `id` (one scan of the log; build [`Reverts`] for many queries).
pub fn reverted_by<'l>(log: &'l Log, id: &EventId) -> Vec<EventRef<'l>> {
    log.iter().filter(|e| reverts(*e).as_ref() == Some(id) && log.happened_before(id, &e.id())).collect()
}

/// Is `id` reverted (and the revert not itself reverted)? One scan of the log.
pub fn is_reverted(log: &Log, id: &EventId) -> bool {
    Reverts::of(log).is_reverted(id)
}
