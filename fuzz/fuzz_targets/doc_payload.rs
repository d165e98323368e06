//! Feeds arbitrary bytes to the documents' change payload decoder (the compact format 0xC1
//! of src/documents/payload.rs, and the legacy shape) through a real document: appended as
//! a change event by the document's own actor, a known or an unknown one, then folded.
//!
//! Properties (tests/doc_payload/mod.rs, shared with the seeded run in `cargo test`): no
//! input panics; a payload that cannot be read is a typed error that changes nothing and
//! leaves the document editable; one that reads is the same change on every read.
//! With `EVERLOG_FUZZ_STRICT=1`, what reads is also applied: what does not fit must be a
//! typed error, never a panic, and a fresh fold must agree with the incremental update.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/doc_payload/mod.rs"]
mod doc_payload;

thread_local! {
    static BASE: doc_payload::Base = doc_payload::Base::new();
    static STRICT: bool = std::env::var_os("EVERLOG_FUZZ_STRICT").is_some_and(|v| v == "1");
}

fuzz_target!(|data: &[u8]| {
    let strict = STRICT.with(|s| *s);
    BASE.with(|base| doc_payload::check(base, data, strict));
});
