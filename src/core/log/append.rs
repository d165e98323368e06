//! Local appends: validate drafts, check expected versions and idempotency keys, build
//! events at the end of the total order. Two-phase ([`Log::prepare`] then
//! [`Log::commit`]) so a storage layer can persist a batch before it becomes visible.

use std::sync::Arc;

use super::{AppendOptions, ExpectedVersion, Log, Prepared};
use crate::core::causal::CausalLookup;
use crate::core::error::{Error, InvalidEvent, Result, StorageError};
use crate::core::event::{Draft, Event, Extra};
use crate::core::hash::Map as HashMap;
use crate::core::id::EventId;
use crate::core::name::Name;

impl Log {
    /// Appends drafts as one atomic batch written by this replica's actor.
    /// `now_ms` is the wall clock; the event time never goes below the log's latest time.
    pub fn append(&mut self, drafts: Vec<Draft>, opts: &AppendOptions, now_ms: u64) -> Result<Vec<Event>> {
        let prepared = self.prepare(drafts, opts, now_ms)?;
        self.commit(prepared)
    }

    /// Validates a batch and builds its events without applying them, so that a storage
    /// layer can persist them first and then [`commit`](Self::commit). Nothing changes.
    pub fn prepare(&self, drafts: Vec<Draft>, opts: &AppendOptions, now_ms: u64) -> Result<Prepared> {
        if drafts.is_empty() {
            return Err(InvalidEvent::EmptyBatch.into());
        }
        for d in &drafts {
            self.limits.check_fields(
                &d.stream,
                &d.kind,
                d.key.as_deref(),
                &d.data,
                &d.meta,
                d.idempotency_key.as_deref(),
                0,
            )?;
        }
        // Idempotency: drafts whose key exists return the existing event (also a repeat
        // of a key earlier in the same batch returns that earlier event). `fresh[i]` says
        // whether draft `i` becomes a new event; drafts are moved, never cloned.
        let mut results = Vec::with_capacity(drafts.len());
        let mut fresh: Vec<bool> = Vec::with_capacity(drafts.len());
        let mut new_count = 0;
        {
            let mut batch_keys: HashMap<&str, usize> = HashMap::default();
            for d in &drafts {
                if let Some(k) = d.idempotency_key.as_deref() {
                    if let Some(e) = self.get_by_idempotency_key(k) {
                        results.push(Err(e.to_event()));
                        fresh.push(false);
                        continue;
                    }
                    if let Some(i) = batch_keys.get(k) {
                        results.push(Ok(*i));
                        fresh.push(false);
                        continue;
                    }
                    batch_keys.insert(k, new_count);
                }
                results.push(Ok(new_count));
                fresh.push(true);
                new_count += 1;
            }
        }
        if new_count > 0 && opts.expected_version != ExpectedVersion::Any {
            // A map rather than a set: the same type as `batch_keys` above, one instance.
            let mut checked: HashMap<&str, usize> = HashMap::default();
            for (d, _) in drafts.iter().zip(&fresh).filter(|(_, f)| **f) {
                if checked.insert(&d.stream, 0).is_none() {
                    let current = self.stream_version(&d.stream);
                    if !opts.expected_version.accepts(current) {
                        return Err(Error::Concurrency {
                            stream: d.stream.clone(),
                            expected: opts.expected_version,
                            current,
                        });
                    }
                }
            }
        }
        let own = self.version.get(&self.actor);
        let mut deps = Some(self.local_deps().into_boxed_slice());
        let time = now_ms.max(self.max_time);
        // A batch usually repeats a few names: reuse the last interned stream and type
        // instead of looking each one up again.
        let mut last: [Option<Name>; 2] = [None, None];
        let mut name = |slot: usize, s: &str| -> Name {
            match &last[slot] {
                Some(a) if **a == *s => a.clone(),
                _ => {
                    let a = self.intern(s);
                    last[slot] = Some(a.clone());
                    a
                }
            }
        };
        let mut new_events = Vec::with_capacity(new_count);
        for (d, _) in drafts.into_iter().zip(fresh).filter(|(_, f)| *f) {
            let i = new_events.len() as u64;
            new_events.push(Event {
                id: EventId::new(self.actor, own + 1 + i),
                stream: name(0, &d.stream),
                kind: name(1, &d.kind),
                key: d.key.as_deref().map(|k| self.intern(k)),
                data: d.data.into_boxed_str(),
                lamport: self.max_lamport + 1 + i,
                time,
                extra: Extra::boxed(d.meta, d.idempotency_key.map(Arc::from), deps.take().unwrap_or_default()),
            });
        }
        Ok(Prepared { new_events, results, generation: self.generation })
    }

    /// Applies a batch from [`prepare`](Self::prepare). Fails (changing nothing) when the
    /// log changed in between: prepare again. Returns what [`Prepared::results`] would
    /// (one event per draft), without copying the new events.
    pub fn commit(&mut self, prepared: Prepared) -> Result<Vec<Event>> {
        self.commit_ref(&prepared)?;
        Ok(prepared.into_results())
    }

    /// [`commit`](Self::commit) for a caller that keeps the batch (the browser publishes
    /// its new events after committing them): applies it, returns nothing.
    pub fn commit_ref(&mut self, prepared: &Prepared) -> Result<()> {
        if prepared.generation != self.generation {
            return Err(Error::Storage(StorageError::new(
                "InvalidStateError",
                "the log changed between prepare and commit; prepare the batch again",
            )));
        }
        let first = self.arena.len();
        for e in &prepared.new_events {
            self.apply_unchecked(e);
        }
        self.order.extend(first as u32..self.arena.len() as u32);
        self.index_streams(first);
        Ok(())
    }

    /// Dependencies of the next local event: the latest event of every actor whose news
    /// our own previous event did not know, minus those implied by the others.
    fn local_deps(&self) -> Vec<EventId> {
        let own = self.version.get(&self.actor);
        let known = match own {
            0 => None,
            s => self.tracks.get(&self.actor).and_then(|t| t.knowledge_at(s)),
        };
        let mut deps: Vec<EventId> = self
            .version
            .iter()
            .filter(|(a, s)| **a != self.actor && known.map_or(0, |k| k.get(a)) < *s)
            .map(|(a, s)| EventId::new(*a, s))
            .collect();
        let all = deps.clone();
        deps.retain(|d| !all.iter().any(|o| o != d && self.knows(o, d)));
        deps
    }

    fn intern(&self, s: &str) -> Name {
        self.arena.names.get(s).cloned().unwrap_or_else(|| Name::from(s))
    }
}
