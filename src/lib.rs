#![doc = include_str!("../README.md")]

pub mod core;
pub mod store;

pub use crate::core::*;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
