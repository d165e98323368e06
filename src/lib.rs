#![doc = include_str!("../README.md")]

pub mod core;

pub use crate::core::*;
