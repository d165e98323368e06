//! Feeds arbitrary bytes to the documents' change payload decoder (the compact format 0xC1
//! of src/documents/payload.rs, and the legacy shape) through a real document: appended as
//! a change event by the document's own actor, a known or an unknown one, then folded.
//!
//! Properties (tests/doc_payload/mod.rs, shared with the seeded run in `cargo test`): no
//! input panics; a payload that cannot be read is a typed error that changes nothing; one
//! that reads is applied or refused by automerge as a typed error; a fresh fold agrees with
//! the incremental update; the document stays editable.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/doc_payload/mod.rs"]
mod doc_payload;

thread_local! {
    static BASE: doc_payload::Base = doc_payload::Base::new();
}

fuzz_target!(|data: &[u8]| {
    BASE.with(|base| doc_payload::check(base, data));
});
