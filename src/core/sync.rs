//! The sync protocol: a transport-agnostic state machine, bytes in and bytes out.
//!
//! Each side keeps one [`SyncState`] per peer (per connection) and loops:
//! [`generate_message`] until it returns `None`, sending each message; and for each
//! message that arrives, [`receive_message`] (or, with a storage layer, [`decode_message`],
//! persist, [`Log::receive`]). Both ends run the same code; there is no client or server.
//!
//! # Exchange
//!
//! A message carries the sender's version vector and the events the receiver lacks, as
//! far as the sender knows, in the total order (which is a causal order), at most
//! [`SyncState::max_events`] per message, so a long sync streams over several messages and
//! can report progress ([`SyncStats`]). In the normal case:
//!
//! ```text
//! A → B   version(A)                       A does not know B's version yet
//! B → A   version(B) + events A lacks
//! A → B   version(A') + events B lacks     (a version-only message if there are none)
//!         then generate_message returns None on both sides
//! ```
//!
//! # State rules
//!
//! Per peer a side keeps: `theirs`, the peer's version as last announced (merged across
//! messages); `sent`, per actor the highest seq sent to the peer since the last reset;
//! `announced`, its own version as last sent; and three reset counters (below).
//!
//! - **Send events** not in `theirs ∪ sent`, in total order, only once `theirs` is known.
//! - **Send a message** when there are events to send, when we never announced our version,
//!   when a reset is to be requested or acknowledged, or when our version holds events the
//!   peer cannot know we have (`version ⊄ announced ∪ theirs`, e.g. local appends or events
//!   from a third replica). Otherwise `None`: this is what ends a sync.
//! - **On receiving**, merge the message's version into `theirs`.
//!
//! # Resets: resuming after a loss
//!
//! A cut or damaged message ([`DecodeError`]) keeps the events of its complete chunks (see
//! [`crate::core::codec`]), but the sender believes it delivered all of them. So does a
//! sender whose earlier message never arrived: its next events would then depend on events
//! the receiver lacks (a **gap**). In both cases the receiver asks for a reset by raising
//! its `epoch` counter in its next message, which also carries its version (including the
//! kept events). A side that sees a peer's epoch rise forgets `sent`, replaces `theirs` with
//! the message's version, answers, and from then on echoes that epoch as `ack`. Messages
//! whose `ack` is below the receiver's epoch were generated before the peer saw the reset;
//! they are applied but do not trigger another reset, and a side never has more than one
//! reset outstanding. So the lost events are sent again exactly once, and duplicates are
//! rare and harmless ([`Log::receive`] is idempotent).
//!
//! # With a storage layer
//!
//! [`decode_message`] only reads the log; it hands back the events to apply, which go
//! through the log's two-phase receive so that nothing is applied before it is durable:
//!
//! ```text
//! let incoming = sync::decode_message(&log, &mut state, &bytes)?;   // pure
//! let prepared = log.prepare_receive(incoming.events)?;              // validate, plan
//! storage.persist(&prepared.ready)?;                                 // durable first
//! let received = log.commit_receive(prepared)?;                      // then in memory
//! ```
//!
//! Apply each message before decoding the next one (gap detection compares a message with
//! the log's version; a message decoded early only costs a needless reset). If the log
//! refuses the batch (an invalid event), nothing is applied and the peer is not asked
//! again within this connection. Events that were persisted but not committed when the
//! process stopped are simply loaded on restart; events lost before they were persisted
//! are asked for again by the next connection.
//!
//! After a reconnect, start both sides from a new `SyncState` (the protocol assumes each
//! connection delivers messages in order, as WebSocket and BroadcastChannel do; a lost
//! connection is a new connection).
//!
//! # Message layout (format version 1)
//!
//! ```text
//! +----+----+----+----+------+-------+--------------+------------+
//! | 'E'| 'V'| 'L'| 'S'| 0x01 | flags | epoch varint | ack varint |
//! +----+----+----+----+------+-------+--------------+------------+
//! | A: varint | A × actor id (16 bytes, strictly ascending)        |   actor table
//! +-----------+----------------------------------------------------+
//! | V: varint | V × (actor index varint, seq varint ≥ 1)            |   sender's version,
//! +-----------+----------------------------------------------------+   indices ascending
//! | N: varint | crc32 LE: CRC-32 of every byte above (4 bytes)      |   event count
//! +-----------+----------------------------------------------------+
//! | chunk | chunk | …  (N events in all, as in a batch)              |   events
//! +------------------------------------------------------------------+
//!   flags: none defined in version 1; must be 0.
//!   epoch: how many resets the sender has asked for; ack: the receiver's latest epoch
//!   the sender has acted on.
//! ```
//!
//! The actor table covers the version's actors and the events' actors and dependencies.
//! Chunks are the [batch format's](crate::core::codec) (columnar, deflated where it pays,
//! CRC-32 each), so a message cut anywhere yields the events of its complete chunks.
//!
//! # Example
//!
//! ```
//! use everlog::{sync, ActorId, AppendOptions, Draft, Log};
//!
//! let (mut a, mut b) = (Log::new(ActorId::from_u128(1)), Log::new(ActorId::from_u128(2)));
//! let opts = AppendOptions::default();
//! a.append(vec![Draft::new("cart:1", "ItemAdded", serde_json::json!({"sku": "sock"}))], &opts, 1).unwrap();
//! b.append(vec![Draft::new("cart:1", "ItemAdded", serde_json::json!({"sku": "shoe"}))], &opts, 2).unwrap();
//!
//! let (mut sa, mut sb) = (sync::SyncState::new(), sync::SyncState::new());
//! let mut messages = 0;
//! loop {
//!     let mut quiet = true;
//!     while let Some(m) = sync::generate_message(&a, &mut sa) {
//!         sync::receive_message(&mut b, &mut sb, &m).unwrap();
//!         quiet = false;
//!         messages += 1;
//!     }
//!     while let Some(m) = sync::generate_message(&b, &mut sb) {
//!         sync::receive_message(&mut a, &mut sa, &m).unwrap();
//!         quiet = false;
//!         messages += 1;
//!     }
//!     if quiet {
//!         break;
//!     }
//! }
//! assert_eq!(a.version(), b.version());
//! assert_eq!(messages, 3);
//! assert_eq!(sa.stats().events_sent + sb.stats().events_sent, 2);
//! ```

mod message;
#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::core::codec::EncodeOptions;
use crate::core::error::{DecodeError, Error};
use crate::core::event::Event;
use crate::core::event_ref::EventRef;
use crate::core::id::EventId;
use crate::core::log::{Log, Received};
use crate::core::version::VersionVector;

/// Counters of one peer connection, for progress reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncStats {
    pub messages_sent: u64,
    pub messages_received: u64,
    pub events_sent: u64,
    /// Events decoded from the peer's messages (duplicates included).
    pub events_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Messages that were cut or malformed.
    pub decode_errors: u64,
    /// Resets this side asked for (after a decode error or a gap).
    pub resets_requested: u64,
}

/// What one side knows about one peer. Start a new one for every connection.
#[derive(Clone, Debug)]
pub struct SyncState {
    theirs: Option<VersionVector>,
    sent: VersionVector,
    announced: Option<VersionVector>,
    /// Resets we asked for.
    epoch: u64,
    /// Epoch in our last message.
    epoch_sent: u64,
    /// The peer's latest epoch we acted on (we echo it as `ack`).
    their_epoch: u64,
    /// Ack in our last message.
    ack_sent: u64,
    /// The highest of our epochs the peer has acknowledged.
    their_ack: u64,
    /// Most events per message.
    pub max_events: usize,
    /// Close a message once its events' raw size reaches about this many bytes.
    pub max_bytes: usize,
    /// How chunks are cut and compressed.
    pub encode: EncodeOptions,
    stats: SyncStats,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            theirs: None,
            sent: VersionVector::new(),
            announced: None,
            epoch: 0,
            epoch_sent: 0,
            their_epoch: 0,
            ack_sent: 0,
            their_ack: 0,
            max_events: 10_000,
            max_bytes: 4 << 20,
            encode: EncodeOptions::default(),
            stats: SyncStats::default(),
        }
    }
}

impl SyncState {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stats(&self) -> SyncStats {
        self.stats
    }

    /// The peer's version as far as we know (`None` before its first message).
    pub fn their_version(&self) -> Option<&VersionVector> {
        self.theirs.as_ref()
    }

    /// What the peer is believed to have: its announced version and what we sent.
    fn known(&self) -> Option<VersionVector> {
        self.theirs.as_ref().map(|t| {
            let mut k = t.clone();
            k.merge(&self.sent);
            k
        })
    }

    /// Makes the next [`generate_message`] announce our version even when the peer could
    /// infer it. A storing peer (the relay) calls it after persisting and applying a
    /// peer's events: the announcement is the peer's acknowledgement that they are durable.
    pub fn acknowledge(&mut self) {
        self.announced = None;
    }

    /// Events of `log` still to send to this peer (0 while its version is unknown).
    pub fn events_to_send(&self, log: &Log) -> u64 {
        self.known().map_or(0, |k| log.count_missing_from(&k))
    }

    /// Asks the peer to send again what it believes we have, unless a reset is already
    /// outstanding.
    fn request_reset(&mut self) {
        if self.their_ack >= self.epoch {
            self.epoch += 1;
            self.stats.resets_requested += 1;
        }
    }

    /// Has the peer acted on every reset we asked for?
    fn reset_settled(&self, ack: u64) -> bool {
        ack >= self.epoch
    }
}

/// The next message for the peer, or `None` when there is nothing to say.
pub fn generate_message(log: &Log, state: &mut SyncState) -> Option<Vec<u8>> {
    let events = match state.known() {
        Some(k) => missing_in_order(log, &k, state.max_events, state.max_bytes),
        None => Vec::new(),
    };
    let version = log.version();
    let must_announce = match &state.announced {
        None => true,
        Some(ann) => {
            state.epoch != state.epoch_sent
                || state.their_epoch != state.ack_sent
                || !version.iter().all(|(a, s)| ann.get(a) >= s || state.theirs.as_ref().is_some_and(|t| t.get(a) >= s))
        }
    };
    if events.is_empty() && !must_announce {
        return None;
    }
    let bytes = message::encode(state.epoch, state.their_epoch, version, &events, &state.encode);
    for e in &events {
        state.sent.raise(e.id().actor, e.id().seq);
    }
    state.announced = Some(version.clone());
    state.epoch_sent = state.epoch;
    state.ack_sent = state.their_epoch;
    state.stats.messages_sent += 1;
    state.stats.events_sent += events.len() as u64;
    state.stats.bytes_sent += bytes.len() as u64;
    Some(bytes)
}

/// The first events of `log` that `known` lacks, in the total order: a k-way merge of the
/// actors' missing runs, so the cost is proportional to what is sent, not to the log.
fn missing_in_order<'a>(log: &'a Log, known: &VersionVector, max_events: usize, max_bytes: usize) -> Vec<EventRef<'a>> {
    let mut heap = BinaryHeap::new();
    for (actor, top) in log.version().iter() {
        let from = known.get(actor) + 1;
        if from <= top {
            if let Some(e) = log.get(&EventId::new(*actor, from)) {
                heap.push(Reverse((e.order_key(), top)));
            }
        }
    }
    let mut out = Vec::new();
    let mut bytes = 0;
    while let Some(Reverse(((_, actor, seq), top))) = heap.pop() {
        if out.len() >= max_events.max(1) || (!out.is_empty() && bytes >= max_bytes) {
            break;
        }
        let Some(e) = log.get(&EventId::new(crate::core::id::ActorId(actor), seq)) else { break };
        bytes += e.data().len() + 16;
        out.push(e);
        if seq < top {
            if let Some(next) = log.get(&EventId::new(e.id().actor, seq + 1)) {
                heap.push(Reverse((next.order_key(), top)));
            }
        }
    }
    out
}

/// A decoded message: what to persist and apply, and what went wrong, if anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incoming {
    /// Events to hand to [`Log::receive`] (after persisting them, with a storage layer).
    pub events: Vec<Event>,
    /// The message was cut or damaged after its header: `events` holds its complete
    /// chunks, and the state already asks the peer for the rest.
    pub error: Option<DecodeError>,
}

/// Decodes a message and updates what we know about the peer. Pure with respect to the
/// log: apply `events` yourself with [`Log::receive`] (persisting them first if you
/// store the log). An `Err` means nothing usable arrived; the state asks for a reset.
pub fn decode_message(log: &Log, state: &mut SyncState, bytes: &[u8]) -> Result<Incoming, DecodeError> {
    state.stats.messages_received += 1;
    state.stats.bytes_received += bytes.len() as u64;
    let msg = match message::decode(bytes) {
        Ok(m) => m,
        Err(e) => {
            state.stats.decode_errors += 1;
            state.request_reset();
            return Err(e);
        }
    };
    if msg.epoch > state.their_epoch {
        // The peer lost something: forget what we sent, trust its version, answer.
        state.their_epoch = msg.epoch;
        state.sent = VersionVector::new();
        state.theirs = Some(msg.version.clone());
    } else {
        state.theirs.get_or_insert_with(VersionVector::new).merge(&msg.version);
    }
    state.their_ack = state.their_ack.max(msg.ack);
    let events = msg.events.events;
    state.stats.events_received += events.len() as u64;
    if msg.events.error.is_some() {
        state.stats.decode_errors += 1;
        state.request_reset();
    } else if state.reset_settled(msg.ack) && has_gap(log, &events) {
        state.request_reset();
    }
    Ok(Incoming { events, error: msg.events.error })
}

/// Would some event wait for something neither the log nor the message holds? Then the
/// peer believes we have events we never got.
fn has_gap(log: &Log, events: &[Event]) -> bool {
    let mut seen = log.version().clone();
    for e in events {
        let have = seen.get(&e.id.actor);
        if e.id.seq > have + 1 || e.deps().iter().any(|d| !seen.includes(d)) {
            return true;
        }
        seen.raise(e.id.actor, e.id.seq);
    }
    false
}

/// What [`receive_message`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageReceived {
    /// What [`Log::receive`] did with the message's events.
    pub received: Received,
    /// Set when the message was cut or damaged after its header; its complete chunks
    /// were applied and the next message asks for the rest.
    pub error: Option<DecodeError>,
}

/// Decodes a message and applies its events to an in-memory log.
pub fn receive_message(log: &mut Log, state: &mut SyncState, bytes: &[u8]) -> Result<MessageReceived, Error> {
    let incoming = decode_message(log, state, bytes)?;
    let received = if incoming.events.is_empty() { Received::default() } else { log.receive(incoming.events)? };
    Ok(MessageReceived { received, error: incoming.error })
}
