//! Keyed built-ins over the event `key` (what an event writes inside its stream):
//! latest and register. Events without a `key` are skipped.
//!
//! - **latest**: per key, the data of the last event in the total order. The total order
//!   extends the causal order, so when one write knows the other, the later one wins; when
//!   two writes are concurrent, the order `(lamport, actor, seq)` picks one, the same one
//!   on every replica (last-writer-wins). Use register to see both.
//! - **register**: per key, the data of every *current* event: those no later selected
//!   event of the same key knows (the heads of the key among the filtered events). One
//!   value normally, several while concurrent writes are unresolved (keep-both). Events
//!   are applied in an order that extends causality, so a new event can only replace
//!   heads, never be replaced by one already applied.
//!
//! Keys are keys alone: a filter spanning several streams folds their same-named keys
//! together. Values are kept as the events' JSON text and parsed only for the result.

use crate::core::name::Name;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{states, Causality, Fold, StateCodec};
use crate::core::error::{DecodeError, Error};
use crate::core::event_ref::EventRef;
use crate::core::id::EventId;

/// Per key, the data of the last event in the total order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latest;

/// Key → JSON text of its latest event's data. The map has the type of an event's
/// [`Meta`](crate::core::event::Meta) (`String` → `String`): one B-tree instance in the
/// wasm package for both instead of two (docs/size.md); a key is copied once, when first
/// seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LatestState(pub BTreeMap<String, String>);

impl Fold for Latest {
    type State = LatestState;
    fn init(&self) -> LatestState {
        LatestState::default()
    }
    fn apply(&self, state: &mut LatestState, e: EventRef<'_>, _: &dyn Causality) {
        let Some(key) = e.key() else { return };
        match state.0.get_mut(&**key) {
            Some(v) => {
                v.clear();
                v.push_str(e.data());
            }
            None => {
                state.0.insert(key.to_string(), e.data().to_string());
            }
        }
    }
}

impl StateCodec for Latest {
    fn fingerprint(&self) -> String {
        "latest/1".into()
    }
    fn encode_state(&self, state: &LatestState) -> Result<Vec<u8>, Error> {
        Ok(states::encode_latest(&state.0))
    }
    fn decode_state(&self, bytes: &[u8]) -> Result<LatestState, DecodeError> {
        states::decode_latest(bytes).map(LatestState)
    }
}

/// Per key, every current (concurrent, unresolved) value: keep-both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Register;

/// Key → its heads `(id, JSON text of data)`, in the total order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegisterState(pub BTreeMap<Name, Vec<(EventId, Box<str>)>>);

impl Fold for Register {
    type State = RegisterState;
    fn init(&self) -> RegisterState {
        RegisterState::default()
    }
    fn apply(&self, state: &mut RegisterState, e: EventRef<'_>, causal: &dyn Causality) {
        let Some(key) = e.key() else { return };
        let heads = state.0.entry(key.clone()).or_default();
        heads.retain(|(h, _)| !causal.happened_before(h, &e.id()));
        heads.push((e.id(), e.data().into()));
    }
}

impl StateCodec for Register {
    fn fingerprint(&self) -> String {
        "register/1".into()
    }
    fn encode_state(&self, state: &RegisterState) -> Result<Vec<u8>, Error> {
        Ok(states::encode_register(&state.0))
    }
    fn decode_state(&self, bytes: &[u8]) -> Result<RegisterState, DecodeError> {
        states::decode_register(bytes).map(RegisterState)
    }
}
