//! The pure core: event model, clocks, causality, log, conflicts, folds, codec and sync.
//!
//! Nothing here does I/O or knows about the web; it builds and tests with plain
//! `cargo test` on the host.

pub mod causal;
pub mod codec;
pub mod conflict;
pub mod error;
pub mod event;
pub mod event_ref;
pub mod filter;
pub mod fold;
pub(crate) mod hash;
pub mod id;
pub(crate) mod json;
pub mod log;
pub mod name;
pub mod pending;
pub(crate) mod sort;
pub mod sync;
pub mod version;

pub use conflict::{Conflict, ConflictRecord};
pub use error::{DecodeError, Error, InvalidEvent, Result, StorageError};
pub use event::{Draft, Event, Extra, Limits, Meta, OrderKey};
pub use event_ref::EventRef;
pub use filter::{At, Filter};
pub use fold::{Builtin, BuiltinState, Causality, Fold, Projection, ProjectionOptions, StateCodec};
pub use id::{ActorId, EventId};
pub use log::{AppendOptions, ExpectedVersion, Log, Prepared, Received};
pub use name::Name;
pub use pending::PendingInfo;
pub use version::VersionVector;
