//! Deciders: command handling with optimistic concurrency.
//!
//! A [`Decider`] is the functional event-sourcing triple: `initial` state, `evolve` a
//! state by one event, `decide` which events a command produces given the state. Running
//! one ([`decide`]) folds the stream, asks `decide`, and appends the new events with
//! `expected_version` = the number of events folded. If another writer appended to the
//! stream in between, the log refuses with [`Error::Concurrency`]; the run folds again
//! and retries, at most [`DecideOptions::max_attempts`] times, then gives up with that
//! error.
//!
//! Within one process a `&mut Log` cannot change between the fold and the append, so
//! the retry matters where the log is shared (a binding's log object awaited by several
//! tasks, a replica receiving a sync while the decision runs). The `_with_hook` forms
//! call a hook just before each append, which is how tests make another writer step in.
//!
//! The state is a generic type: a binding can use `serde_json::Value`. Nothing is `Send`.

use super::error::ToolkitError;
use crate::core::error::Error;
use crate::core::event::{Draft, Event};
use crate::core::event_ref::EventRef;
use crate::core::filter::Filter;
use crate::core::log::{AppendOptions, ExpectedVersion, Log};
use crate::store::{Replica, Storage};

/// The functional core of an aggregate.
pub trait Decider {
    type State;
    type Command;
    /// The domain's reason to reject a command.
    type Rejection;

    fn initial(&self) -> Self::State;
    fn evolve(&self, state: &mut Self::State, event: EventRef<'_>);
    /// The events `command` produces in `state` (none is fine), or why it is refused.
    /// Drafts with an empty stream go to the decided stream; no other stream is allowed.
    fn decide(&self, command: &Self::Command, state: &Self::State) -> Result<Vec<Draft>, Self::Rejection>;
}

/// Why a decision did not append.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecideError<R> {
    /// The decider refused the command.
    #[error("the command was rejected")]
    Rejected(R),
    /// The log refused (after `max_attempts` concurrency errors, that error).
    #[error(transparent)]
    Log(#[from] ToolkitError),
}

impl<R> From<Error> for DecideError<R> {
    fn from(e: Error) -> Self {
        DecideError::Log(ToolkitError::Log(e))
    }
}

/// How a decision runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecideOptions {
    /// Attempts before giving up on concurrency errors (at least 1 is made).
    pub max_attempts: u32,
    /// The wall clock for the append (ms since the epoch).
    pub now_ms: u64,
}

impl DecideOptions {
    pub fn at(now_ms: u64) -> Self {
        DecideOptions { max_attempts: 3, now_ms }
    }
}

/// What one attempt wants to append.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub drafts: Vec<Draft>,
    /// The stream's version the state was folded at.
    pub expected: ExpectedVersion,
}

/// Folds `stream` and asks the decider: the pure step of every attempt.
pub fn plan<D: Decider>(
    log: &Log,
    decider: &D,
    stream: &str,
    command: &D::Command,
) -> Result<Decision, DecideError<D::Rejection>> {
    let mut state = decider.initial();
    let mut folded = 0u64;
    for e in log.events(&Filter::stream(stream)) {
        decider.evolve(&mut state, e);
        folded += 1;
    }
    let mut drafts = decider.decide(command, &state).map_err(DecideError::Rejected)?;
    for d in &mut drafts {
        if d.stream.is_empty() {
            d.stream = stream.to_owned();
        } else if d.stream != stream {
            let err = ToolkitError::DraftOutsideStream { stream: stream.to_owned(), other: d.stream.clone() };
            return Err(DecideError::Log(err));
        }
    }
    let expected = if folded == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(folded) };
    Ok(Decision { drafts, expected })
}

fn is_concurrency(e: &Error) -> bool {
    matches!(e, Error::Concurrency { .. })
}

/// Runs `decider` on `stream` for `command` against `log`. Returns the events appended
/// (empty when the decider produced none).
pub fn decide<D: Decider>(
    log: &mut Log,
    decider: &D,
    stream: &str,
    command: &D::Command,
    opts: &DecideOptions,
) -> Result<Vec<Event>, DecideError<D::Rejection>> {
    decide_with_hook(log, decider, stream, command, opts, &mut |_, _| {})
}

/// [`decide`], calling `before_append(log, attempt)` between each fold and its append.
pub fn decide_with_hook<D: Decider>(
    log: &mut Log,
    decider: &D,
    stream: &str,
    command: &D::Command,
    opts: &DecideOptions,
    before_append: &mut dyn FnMut(&mut Log, u32),
) -> Result<Vec<Event>, DecideError<D::Rejection>> {
    let mut attempt = 1;
    loop {
        let decision = plan(log, decider, stream, command)?;
        if decision.drafts.is_empty() {
            return Ok(Vec::new());
        }
        before_append(log, attempt);
        let append = AppendOptions { expected_version: decision.expected };
        match log.append(decision.drafts, &append, opts.now_ms) {
            Err(e) if is_concurrency(&e) && attempt < opts.max_attempts => attempt += 1,
            other => return Ok(other?),
        }
    }
}

/// [`decide`] against a replica: the events are persisted before they are applied.
pub async fn decide_replica<D: Decider, S: Storage>(
    replica: &mut Replica<S>,
    decider: &D,
    stream: &str,
    command: &D::Command,
    opts: &DecideOptions,
) -> Result<Vec<Event>, DecideError<D::Rejection>> {
    decide_replica_with_hook(replica, decider, stream, command, opts, &mut |_, _| {}).await
}

/// [`decide_replica`], calling `before_append(replica, attempt)` before each append.
pub async fn decide_replica_with_hook<D: Decider, S: Storage>(
    replica: &mut Replica<S>,
    decider: &D,
    stream: &str,
    command: &D::Command,
    opts: &DecideOptions,
    before_append: &mut dyn FnMut(&mut Replica<S>, u32),
) -> Result<Vec<Event>, DecideError<D::Rejection>> {
    let mut attempt = 1;
    loop {
        let decision = plan(replica.log(), decider, stream, command)?;
        if decision.drafts.is_empty() {
            return Ok(Vec::new());
        }
        before_append(replica, attempt);
        let append = AppendOptions { expected_version: decision.expected };
        match replica.append(decision.drafts, &append, opts.now_ms).await {
            Err(e) if is_concurrency(&e) && attempt < opts.max_attempts => attempt += 1,
            other => return Ok(other?),
        }
    }
}
