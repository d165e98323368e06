//! The bytes of one stored or broadcast batch of events: the core's batch codec
//! (`core::codec`, magic + version header, documented there), so IndexedDB records,
//! BroadcastChannel messages and sync messages share one versioned format.
//!
//! Stored and tab-to-tab batches are written without deflate (level 0): Chromium already
//! compresses IndexedDB values, BroadcastChannel stays on the device, and the append path
//! saves the compression time. Decoding reads either form.

use crate::core::codec::{self, EncodeOptions};
use crate::core::{DecodeError, Event};

pub fn encode(events: &[Event]) -> Vec<u8> {
    codec::encode_events_with(events, &EncodeOptions { level: 0, ..EncodeOptions::default() })
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, DecodeError> {
    codec::decode_events(bytes)
}
