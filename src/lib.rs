#![doc = include_str!("../README.md")]

pub mod core;
#[cfg(feature = "documents")]
pub mod documents;
pub mod store;
pub mod toolkit;

pub use crate::core::*;
