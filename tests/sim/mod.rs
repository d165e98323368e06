//! The convergence simulator shared by `tests/convergence.rs` (seeded runs) and the
//! cargo-fuzz target `fuzz/fuzz_targets/convergence.rs` (coverage-guided runs).
//!
//! In the style of Loro's `crdt_fuzzer`: a scenario is a number of replicas plus a list of
//! [`Action`]s decoded from raw bytes with `arbitrary`, so any byte string is a valid
//! scenario and a fuzzer can mutate it. Replicas append (alone, in batches, with
//! expected versions and idempotency keys), exchange events directly or through a lossy
//! network that duplicates, reorders, drops and truncates messages, and reopen. After
//! every action the touched replicas are checked against an oracle ([`check`]); after
//! every full sync all replicas must be identical and re-delivery must change nothing.

#![allow(dead_code)]

pub mod check;
pub mod prng;
mod wire;
mod world;

use arbitrary::{Arbitrary, Unstructured};

pub use check::Res;
pub use world::{Stats, World};

/// One step of a scenario. Indexes (`replica`, `from`, `to`, `msg`) are taken modulo the
/// number of replicas or messages in flight, so every value is meaningful.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// One local append; `key` makes it a write that can conflict.
    Append { replica: u8, stream: u8, key: Option<u8>, value: i8, tick: u8 },
    /// An atomic batch of `len % 8 + 1` appends to one stream.
    AppendBatch { replica: u8, stream: u8, len: u8, tick: u8 },
    /// An append with an expected stream version (0 any, 1 no-stream, 2 current, 3 stale).
    AppendExpecting { replica: u8, stream: u8, expect: u8, tick: u8 },
    /// An append with an idempotency key (a few keys, so they repeat across replicas).
    AppendIdempotent { replica: u8, ikey: u8, tick: u8 },
    /// Sends up to `count % 12 + 1` events that `to` lacks, skipping some (so gaps and
    /// pending events happen), shuffled when `seed` is odd; applied at once.
    Deliver { from: u8, to: u8, count: u8, skip: u8, seed: u16 },
    /// Like `Deliver`, but the message goes into the network instead.
    Post { from: u8, to: u8, count: u8, skip: u8, seed: u16 },
    /// A message in flight arrives.
    Arrive { msg: u8 },
    /// A message in flight is duplicated.
    Duplicate { msg: u8 },
    /// A message's events are shuffled and it goes to the back of the queue.
    Reorder { msg: u8, seed: u16 },
    /// A message is lost.
    Drop { msg: u8 },
    /// A message is cut short (a batch interrupted mid-way): `keep / 256` of its bytes.
    Truncate { msg: u8, keep: u8 },
    /// One byte of a message is flipped (its chunk's CRC must catch it).
    Corrupt { msg: u8, at: u16 },
    /// `to` receives everything `from` has that it lacks.
    Sync { from: u8, to: u8 },
    /// Everyone syncs with everyone; then convergence and idempotence are asserted.
    SyncAll,
    /// A replica restarts from its persisted state (its applied events; pending are lost):
    /// through the codec (`encode_log`/`decode_log`) when `seed` is even, else by
    /// replaying its events in a shuffled order.
    Reopen { replica: u8, seed: u16 },
    /// The real sync protocol: `from` generates its next message for `to` (its
    /// `SyncState` for that peer); `fate % 8` = 0 loses it, 1 cuts it, 2 flips a byte,
    /// else it arrives whole.
    SyncMessage { from: u8, to: u8, fate: u8, at: u16 },
    /// `a` and `b` exchange protocol messages until both are quiet; then they must hold
    /// the same events.
    SyncSession { a: u8, b: u8 },
    /// The connection between `a` and `b` drops; both start over with a new `SyncState`.
    Reconnect { a: u8, b: u8 },
}

/// A whole run: the number of replicas (2–5), whether the pending set is tiny (so it
/// overflows and drops), and the actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub replicas: u8,
    pub small_pending: bool,
    pub actions: Vec<Action>,
}

impl Scenario {
    /// Decodes any byte string into a scenario.
    pub fn from_bytes(data: &[u8]) -> Scenario {
        let mut u = Unstructured::new(data);
        let replicas = u.int_in_range(2..=5).unwrap_or(2);
        let small_pending = u.arbitrary().unwrap_or(false);
        let mut actions = Vec::new();
        while !u.is_empty() && actions.len() < 10_000 {
            match u.arbitrary() {
                Ok(a) => actions.push(a),
                Err(_) => break,
            }
        }
        Scenario { replicas, small_pending, actions }
    }

    /// Runs the scenario, then a final full sync; `Err` says which step broke what.
    pub fn run(&self) -> Res<Stats> {
        let mut world = World::new(self.replicas as usize, self.small_pending);
        for (i, a) in self.actions.iter().enumerate() {
            world.step(a).map_err(|e| format!("step {i} ({a:?}): {e}"))?;
        }
        world.step(&Action::SyncAll).map_err(|e| format!("final sync: {e}"))?;
        Ok(world.stats)
    }

    /// Rust source that rebuilds this scenario, to paste into a regression test.
    pub fn to_rust(&self) -> String {
        let mut s = format!(
            "Scenario {{\n    replicas: {},\n    small_pending: {},\n    actions: vec![\n",
            self.replicas, self.small_pending
        );
        for a in &self.actions {
            s.push_str(&format!("        Action::{a:?},\n"));
        }
        s.push_str("    ],\n}");
        s
    }
}
