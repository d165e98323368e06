//! The event-sourcing toolkit: patterns built on the log, in pure Rust.
//!
//! - [`consumer`]: named handlers' durable progress, causal order, retries with backoff;
//! - [`decider`]: command → events with optimistic concurrency and bounded retries;
//! - [`upcast`]: schema evolution by upcasting on read (stored events never change);
//! - [`cloudevents`]: export/import as CloudEvents 1.0 JSON Lines, merged like a sync;
//! - [`revert`]: compensating events linked to what they undo.
//!
//! It depends only on the core and the store. Nothing takes a `Send` closure, and states
//! are generic, so a thin binding (wasm) can expose it with JavaScript functions and
//! values. See docs/toolkit.md for the decisions.

pub mod cloudevents;
pub mod consumer;
pub mod decider;
pub mod error;
pub mod progress;
pub mod revert;
mod text;
pub mod upcast;

pub use cloudevents::{export_cloudevents, import_cloudevents, import_cloudevents_replica, ExportOptions};
pub use consumer::Consumer;
pub use decider::{decide, decide_replica, DecideError, DecideOptions, Decider, Decision};
pub use error::ToolkitError;
pub use progress::{Failure, Failures, Progress, RetryPolicy};
pub use revert::{is_reverted, revert, revert_replica, reverted_by, Reverts};
pub use upcast::{Shape, TextShape, Upcasted, Upcasters};
