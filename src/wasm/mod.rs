//! The JavaScript face of everlog (wasm32 only): wasm-bindgen classes, conversions, JS
//! error classes, IndexedDB storage, and the glue between tabs (Web Locks,
//! BroadcastChannel).
//!
//! One file per exposed type: [`event_log`] (`EventLog`), [`fold`] (`Fold`),
//! [`projection`] (`Projection`), [`peer`] (`Peer`), and with the `documents` feature
//! [`document`] (`Document`, the `everlog/docs` entry); the machinery behind them: [`shared`] (state and the
//! write path), [`open`], [`idb`], [`tabs`], [`batch`], [`convert`], [`event_cache`], [`errors`], [`task`],
//! and [`types`] (the hand-written TypeScript declarations).
//!
//! The event-sourcing toolkit (docs/toolkit.md; feature `toolkit`, the `everlog/toolkit`
//! and `everlog/docs` entries, not the core `everlog`), one file per concern, each adding its
//! methods to `EventLog`: [`consumers`] (`log.on`, the `Consumer` class), [`decide`],
//! [`toolkit`] (`log.upcast`, revert links, the toolkit state of a log), [`cloudevents`],
//! [`revert`]; declarations in [`toolkit_types`].

pub mod batch;
#[cfg(feature = "toolkit")]
pub mod cloudevents;
pub mod connection;
#[cfg(feature = "toolkit")]
pub mod consumers;
pub mod convert;
#[cfg(feature = "toolkit")]
pub mod decide;
#[cfg(feature = "documents")]
pub mod document;
pub mod errors;
pub mod event_cache;
pub mod event_log;
pub mod fold;
pub mod idb;
#[cfg(feature = "interop-bench")]
pub mod interop_bench;
pub mod open;
pub mod peer;
pub mod projection;
mod projection_fold;
#[cfg(feature = "toolkit")]
pub mod revert;
pub mod shared;
pub mod tabs;
pub mod task;
#[cfg(feature = "test-panic")]
pub mod test_panic;
pub mod toolkit;
#[cfg(feature = "toolkit")]
pub mod toolkit_types;
pub mod types;

pub use event_log::EventLog;
pub use fold::Fold;
pub use peer::Peer;
pub use projection::Projection;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated.
#[wasm_bindgen(start)]
fn start() {
    errors::install_panic_hook();
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_js_fold;
#[cfg(test)]
mod tests_snapshot_open;
