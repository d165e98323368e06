#![doc = include_str!("../README.md")]

pub mod core;
pub mod store;
#[cfg(feature = "documents")]
pub mod documents;

pub use crate::core::*;
