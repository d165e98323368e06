//! The fold of a built-in live projection: the core's [`Builtin`], on the events' newest
//! shapes when upcasters (`log.upcast`) were registered before `project()`.
//!
//! The core's incremental `Projection` owns its fold for its whole life, so the fold
//! cannot borrow the log's upcasters the way `log.fold` does (`toolkit::Upcasted` over a
//! borrow); it holds a weak link to the log's shared state instead and borrows the
//! upcasters for each run of events it folds. Without upcasters it is the plain
//! `Builtin`, column fast path included.
//!
//! Snapshots: upcasters are JS functions whose code may change between two sessions, so a
//! state folded through them cannot be trusted after a reopen. An upcasting projection
//! therefore neither restores nor writes a snapshot (it folds from scratch on `project()`);
//! its fingerprint is also distinct, so a snapshot of one kind is never restored into the
//! other. A projection without upcasters keeps its snapshots.

use std::rc::Weak;

use super::shared::Shared;
use crate::core::error::{DecodeError, Error};
use crate::core::fold::{Causality, Fold, Run, StateCodec};
use crate::core::{Builtin, BuiltinState, Event, EventRef};

#[derive(Clone)]
pub struct ProjectionFold {
    pub inner: Builtin,
    /// `Some` when upcasters were registered when the projection was made.
    upcast: Option<Weak<Shared>>,
}

impl ProjectionFold {
    pub fn new(inner: Builtin, upcast: Option<Weak<Shared>>) -> Self {
        ProjectionFold { inner, upcast }
    }

    /// Does this fold see upcast events (and so take no snapshots)?
    pub fn upcasts(&self) -> bool {
        self.upcast.is_some()
    }

    fn shared(&self) -> Option<std::rc::Rc<Shared>> {
        self.upcast.as_ref().and_then(Weak::upgrade)
    }
}

impl Fold for ProjectionFold {
    type State = BuiltinState;

    fn init(&self) -> BuiltinState {
        self.inner.init()
    }

    fn apply(&self, state: &mut BuiltinState, event: EventRef<'_>, causal: &dyn Causality) {
        match self.shared() {
            Some(shared) => {
                let up = shared.toolkit.upcasters.borrow().upcast(event);
                self.inner.apply(state, up.as_ref().map_or(event, Event::view), causal)
            }
            None => self.inner.apply(state, event, causal),
        }
    }

    fn apply_run(&self, state: &mut BuiltinState, run: &mut Run<'_>) {
        let Some(shared) = self.shared() else { return self.inner.apply_run(state, run) };
        // Event by event: the column fast path reads stored, not upcast, events.
        let up = shared.toolkit.upcasters.borrow();
        let log = run.log();
        run.for_each(|_, e| self.inner.apply(state, up.upcast(e).as_ref().map_or(e, Event::view), log));
    }
}

impl StateCodec for ProjectionFold {
    fn fingerprint(&self) -> String {
        let base = self.inner.fingerprint();
        if self.upcasts() {
            base + "+upcast"
        } else {
            base
        }
    }

    fn encode_state(&self, state: &BuiltinState) -> Result<Vec<u8>, Error> {
        self.inner.encode_state(state)
    }

    fn decode_state(&self, bytes: &[u8]) -> Result<BuiltinState, DecodeError> {
        self.inner.decode_state(bytes)
    }
}
