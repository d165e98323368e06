#![doc = include_str!("../README.md")]

pub mod core;
pub mod store;

pub use crate::core::*;
