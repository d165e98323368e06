//! The sync relay: a native server that keeps one durable log per room and syncs it with
//! every client of the room over WebSocket, with the core sync protocol unchanged.
//!
//! - [`server`]: HTTP, the `/sync` endpoint, static files, graceful shutdown;
//! - [`session`]: one connection running the sync state machine against its room;
//! - [`room`]: the rooms registry and the group-committing writer of each room, on the
//!   store layer's `FileStorage`;
//! - [`auth`]: room tokens; [`frame`]: the error frame; [`config`]: flags and environment;
//! - [`client`]: the same connection from Rust (tests, benchmarks, Rust backends).
//!
//! The wire protocol and the reasons for the crates used are in docs/relay.md.

pub mod auth;
pub mod client;
pub mod config;
pub mod frame;
pub mod room;
pub mod server;
mod session;

pub use auth::{signed_token, Auth, AuthError};
pub use client::{ClientError, Connection, LocalLog};
pub use config::Config;
pub use frame::{ErrorCode, ErrorFrame};
pub use server::Relay;
