//! Folds, live projections and snapshots.
//!
//! A [`Fold`] is a pure function `(state, event) -> state` in the style of cqrs-es and
//! disintegrate: `apply(&mut state, event)`, the event an
//! [`EventRef`](crate::core::EventRef). [`Log::fold`] runs one from scratch over the
//! events a [`Filter`] selects, in the total order (which every replica shares, so every
//! replica computes the same state). `Filter.at` gives a fold at a point in time: a version
//! vector or a hybrid-logical wall-clock time, both naming causally closed sets.
//!
//! Some folds need causality, not just order: a register keeps, per key, every event no
//! later event of that key knows (keep-both). So `apply` also gets a read-only
//! [`Causality`] context, which the log implements.
//!
//! The trait is generic over the state and asks nothing of it but `Clone` (projections keep
//! checkpoint copies): the wasm layer implements it for a JavaScript reducer whose state is
//! a JavaScript value. Snapshots need the state as bytes, through [`StateCodec`], which the
//! built-ins implement and other folds may.
//!
//! Layout (one concern per file):
//! - `scan`: a top-level JSON field scanner, so built-ins never parse whole payloads;
//! - `decimal`: JSON number text to `f64`, correctly rounded, without std's parser;
//! - `numeric`: count, sum(field), groupSum(key, field);
//! - `keyed`: latest and register (per event `key`);
//! - `columns`: a per-log cache of extracted fields, so repeated folds skip the scan;
//! - `run`: a stretch of the log handed to a fold at once (the fast path);
//! - `builtin`: the built-ins as one enum with a JSON result, for the JavaScript face;
//! - `projection`: live, incremental folds with checkpoints for rewinds;
//! - `snapshot`: the versioned byte format of a projection's persisted state;
//! - `states`: the built-ins' states as JSON text (snapshot decoding, JS results), by hand.

mod builtin;
pub(crate) mod columns;
mod decimal;
mod keyed;
mod numeric;
mod projection;
mod run;
pub mod scan;
mod snapshot;
mod states;

pub use builtin::{Builtin, BuiltinState};
pub use keyed::{Latest, LatestState, Register, RegisterState};
pub use numeric::{Count, Exact, GroupSum, GroupSumState, Sum};
pub use projection::{Projection, ProjectionOptions, RestoreReport, UpdateReport};
pub use run::Run;
pub use snapshot::{Snapshot, SNAPSHOT_MAGIC, SNAPSHOT_VERSION};

use super::error::{DecodeError, Error, StorageError};
use super::event_ref::EventRef;
use super::filter::Filter;
use super::id::EventId;
use super::log::Log;

/// Read-only causal queries a fold may ask while it folds.
pub trait Causality {
    /// Is `a` in `b`'s causal past (and not `b` itself)?
    fn happened_before(&self, a: &EventId, b: &EventId) -> bool;
}

impl Causality for Log {
    #[inline]
    fn happened_before(&self, a: &EventId, b: &EventId) -> bool {
        Log::happened_before(self, a, b)
    }
}

/// A deterministic reduction of events to a state.
///
/// `apply` must be a pure function of the state and the event (and causal facts about
/// events already applied): projections replay it from checkpoints and snapshots and rely
/// on getting the same state as a fold from scratch.
pub trait Fold {
    /// Cloned for projection checkpoints; a clone must be independent of the original.
    type State: Clone;

    /// The state before any event.
    fn init(&self) -> Self::State;

    /// Folds one event into the state. Events come in the total order, which extends the
    /// causal order; `causal` knows every event applied so far.
    fn apply(&self, state: &mut Self::State, event: EventRef<'_>, causal: &dyn Causality);

    /// Folds a whole run of events. The default applies them one by one; a fold may read
    /// per-event values from [`Run::columns`] instead, but must compute exactly the state
    /// the default would (projections mix both paths). It calls [`Run::for_each`] (once,
    /// or until [`Run::is_done`]), or stops early: the callers apply what a run leaves
    /// event by event (the built-ins do when the columns would cost more than the run,
    /// [`Run::columns_pay_off`]).
    fn apply_run(&self, state: &mut Self::State, run: &mut Run<'_>) {
        let log = run.log();
        run.for_each(|_, e| self.apply(state, e, log));
    }
}

/// Turning a fold's state into bytes and back, for snapshots.
pub trait StateCodec: Fold {
    /// Names the fold, its parameters and its state format: a snapshot is restored only
    /// into a projection whose fold has the same fingerprint (and the same filter).
    fn fingerprint(&self) -> String;

    /// Fails (`Error::Storage` named `DataCloneError`) on a state that cannot be encoded.
    fn encode_state(&self, state: &Self::State) -> Result<Vec<u8>, Error>;

    /// Fails with a typed error on bytes this fold did not write; never panics.
    fn decode_state(&self, bytes: &[u8]) -> Result<Self::State, DecodeError>;
}

/// [`StateCodec`] through serde_json, for states that implement serde.
pub fn encode_json<S: serde::Serialize>(state: &S) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(state).map_err(|e| StorageError::new("DataCloneError", e.to_string()).into())
}

/// The inverse of [`encode_json`].
pub fn decode_json<S: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<S, DecodeError> {
    serde_json::from_slice(bytes).map_err(|_| DecodeError::Malformed { what: "snapshot state", at: 0 })
}

impl Log {
    /// Folds the events `filter` selects (at most `filter.limit`), in the total order, from
    /// `fold.init()`. With `filter.at`, the fold of the log as it was at that point.
    pub fn fold<F: Fold>(&self, fold: &F, filter: &Filter) -> F::State {
        let mut state = fold.init();
        let positions = match &filter.stream {
            Some(s) => self.stream_positions(s),
            None => self.order_positions(),
        };
        let mut run = Run::new(self, filter, positions, filter.limit.map_or(u64::MAX, |l| l as u64));
        fold.apply_run(&mut state, &mut run);
        if !run.is_done() {
            // A fold whose apply_run stopped early: finish event by event.
            run.for_each(|_, e| fold.apply(&mut state, e, self));
        }
        state
    }
}
