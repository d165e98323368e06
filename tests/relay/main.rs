//! Integration tests of the relay: they start the real `everlog-relay` binary on a loopback
//! port and talk to it with the native client (`everlog::relay::Connection`).

mod harness;

mod auth;
mod crash;
mod malformed;
mod serving;
mod sync;
