#![doc = include_str!("../README.md")]

pub mod core;
#[cfg(feature = "documents")]
pub mod documents;
#[cfg(all(feature = "relay", not(target_arch = "wasm32")))]
pub mod relay;
pub mod store;
pub mod toolkit;

pub use crate::core::*;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
