//! The event-sourcing toolkit, in given/when/then form: consumers, decider, upcasting,
//! CloudEvents export/import, compensating events.

mod cloudevents;
mod consumer;
mod decider;
mod revert;
mod upcast;

use everlog::{ActorId, AppendOptions, Draft, Event, Log};
use serde_json::json;

pub const ME: ActorId = ActorId::from_u128(0xA);
pub const PEER: ActorId = ActorId::from_u128(0xB);

/// Appends one event of `kind` to `stream` with data `{"n": n}`.
pub fn put(log: &mut Log, stream: &str, kind: &str, n: i64) -> Event {
    log.append(vec![Draft::new(stream, kind, json!({ "n": n }))], &AppendOptions::default(), 1_000 + n as u64)
        .expect("append")
        .remove(0)
}

/// Gives `to` every event of `from` it lacks (a one-way sync).
pub fn sync(from: &Log, to: &mut Log) {
    let missing: Vec<Event> = from.missing_from(to.version()).map(|e| e.to_event()).collect();
    if !missing.is_empty() {
        to.receive(missing).expect("receive");
    }
}
