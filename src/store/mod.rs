//! The store layer: where a log's events live between runs.
//!
//! [`Storage`] is the small contract a durable medium must keep (atomic, durable batch
//! appends; named snapshots and metadata; load everything on open). Backends:
//! - [`MemoryStorage`]: in memory, for tests and the `"memory"` option;
//! - [`FileStorage`] (native only): a checksummed append-only file, for the relay and
//!   Rust servers; its format is drawn in [`file`](mod@file) and docs/storage-format.md;
//! - [`FaultyStorage`]: wraps any backend and injects failures (nth append fails, quota,
//!   closed mid-way, torn writes) for crash tests and the convergence fuzzer;
//! - IndexedDB lives in the wasm layer and implements the same trait.
//!
//! [`Replica`] joins a [`Log`](crate::core::Log) to a storage: it replays what was stored
//! on open and persists every batch before the log applies it, so a storage error leaves
//! the log as it was. [`contract`] is the test suite every backend passes.

pub mod contract;
#[cfg(not(target_arch = "wasm32"))]
mod executor;
mod faulty;
#[cfg(not(target_arch = "wasm32"))]
pub mod file;
mod memory;
mod replica;
pub mod storage;

#[cfg(not(target_arch = "wasm32"))]
pub use executor::block_on;
pub use faulty::{Fault, FaultyStorage};
#[cfg(not(target_arch = "wasm32"))]
pub use file::{FileOptions, FileStorage, Recovery};
pub use memory::MemoryStorage;
pub use replica::{storage_encoding, Replica, ACTOR_META_KEY};
pub use storage::{names, Durability, Loaded, SimulateCrash, Storage};
