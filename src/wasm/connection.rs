//! Where `log.connect(url, { room, token })` plugs in (the relay transport; not built here).
//!
//! A connection is one more source of remote events. It needs nothing new from the rest
//! of this module:
//! - encode what the relay lacks with the core sync state machine (the same one `peer()`
//!   drives), send it over the WebSocket;
//! - hand every decoded batch received to [`Shared::ingest`](super::shared::Shared::ingest)
//!   with `persist = true`: that validates, writes one IndexedDB transaction, applies,
//!   tells projections/subscribers once, and announces the batch to the other tabs;
//! - take `Rc<Shared>` from `EventLog::shared`, hold a `Weak` in callbacks, and stop on
//!   `Shared::closed`.
//!
//! The `EventLog.connect` method, `Connection` class, reconnect/backoff and
//! `online`/`offline` handling belong to the relay issue and live in this file.
