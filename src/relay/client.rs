//! The native client: the relay connection from Rust (Rust backends, tests, benchmarks).
//!
//! It does what docs/relay.md asks of every client: connect to `/sync?room=…&token=…`,
//! exchange core sync messages in binary frames with one [`SyncState`] per connection,
//! treat an error frame as a refusal, and start a fresh [`SyncState`] after reconnecting.
//!
//! The local side is any [`LocalLog`]: an in-memory [`Log`], or a durable
//! [`Replica`] (events from the relay are then persisted before they are applied).
//!
//! An event of the local log is **acknowledged** once the relay's announced version
//! includes it ([`Connection::acknowledged`]): the relay announces only what it has made
//! durable.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::frame::ErrorFrame;
use crate::core::error::{DecodeError, Error};
use crate::core::event::Event;
use crate::core::log::{Log, Received};
use crate::core::sync::{decode_message, generate_message, SyncState};
use crate::core::version::VersionVector;
use crate::store::{Replica, Storage};

/// Why a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to the relay: {0}")]
    Connect(String),
    #[error("connection lost: {0}")]
    Transport(String),
    /// The relay sent an error frame (a wrong token, a malformed frame, …).
    #[error("the relay refused: {0}")]
    Refused(ErrorFrame),
    #[error("the relay closed the connection (close code {0:?})")]
    Closed(Option<u16>),
    #[error("nothing from the relay for {0:?}")]
    Timeout(Duration),
    /// A frame from the relay that is neither a sync message nor an error frame.
    #[error("unreadable frame from the relay: {0}")]
    Decode(#[from] DecodeError),
    /// The local log refused the relay's events.
    #[error(transparent)]
    Log(#[from] Error),
}

impl ClientError {
    /// Might reconnecting help?
    pub fn retryable(&self) -> bool {
        match self {
            ClientError::Refused(f) => f.code.retryable(),
            ClientError::Connect(_) | ClientError::Transport(_) | ClientError::Closed(_) | ClientError::Timeout(_) => {
                true
            }
            ClientError::Decode(_) | ClientError::Log(_) => false,
        }
    }
}

/// A local log a [`Connection`] can sync: read it, and merge remote events into it.
#[allow(async_fn_in_trait)]
pub trait LocalLog {
    fn log(&self) -> &Log;
    /// Merges remote events (persisting them first, for a durable log).
    async fn receive_remote(&mut self, events: Vec<Event>) -> Result<Received, Error>;
}

impl LocalLog for Log {
    fn log(&self) -> &Log {
        self
    }
    async fn receive_remote(&mut self, events: Vec<Event>) -> Result<Received, Error> {
        self.receive(events)
    }
}

impl<S: Storage> LocalLog for Replica<S> {
    fn log(&self) -> &Log {
        Replica::log(self)
    }
    async fn receive_remote(&mut self, events: Vec<Event>) -> Result<Received, Error> {
        self.receive(events).await
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A connection to one room of a relay.
pub struct Connection {
    url: String,
    socket: Socket,
    state: SyncState,
    /// Last ping sent and highest pong seen (barriers of [`sync`](Self::sync)).
    ping: u64,
    pong: u64,
    /// How long [`sync`](Self::sync) and [`recv`](Self::recv) wait for a frame.
    pub timeout: Duration,
}

impl Connection {
    /// Connects to `url` (e.g. `ws://127.0.0.1:8787/sync`) for `room` with `token`.
    pub async fn connect(url: &str, room: &str, token: &str) -> Result<Connection, ClientError> {
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}room={}&token={}", escape(room), escape(token));
        let socket = open(&url).await?;
        Ok(Connection { url, socket, state: SyncState::new(), ping: 0, pong: 0, timeout: Duration::from_secs(30) })
    }

    /// Drops the current socket and connects again, retrying with exponential backoff
    /// (from 50 ms, doubling to 2 s) for at most `attempts` tries. The sync starts afresh.
    pub async fn reconnect(&mut self, attempts: u32) -> Result<(), ClientError> {
        let _ = self.socket.close(None).await;
        let mut delay = Duration::from_millis(50);
        let mut last = ClientError::Connect("no attempt".into());
        for _ in 0..attempts.max(1) {
            match open(&self.url).await {
                Ok(socket) => {
                    self.socket = socket;
                    self.state = SyncState::new();
                    self.pong = self.ping;
                    return Ok(());
                }
                Err(e) => last = e,
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        Err(last)
    }

    /// The relay's version as last announced: everything in it is durable on the relay.
    pub fn acknowledged(&self) -> Option<&VersionVector> {
        self.state.their_version()
    }

    /// Per-connection counters of the sync state machine.
    pub fn stats(&self) -> crate::core::sync::SyncStats {
        self.state.stats()
    }

    /// Sends everything `local` has to say to the relay; returns the number of messages.
    pub async fn push<L: LocalLog>(&mut self, local: &L) -> Result<usize, ClientError> {
        let mut n = 0;
        while let Some(msg) = generate_message(local.log(), &mut self.state) {
            self.socket.send(Message::Binary(msg.into())).await.map_err(|e| ClientError::Transport(e.to_string()))?;
            n += 1;
        }
        Ok(n)
    }

    /// Waits for the next sync message and applies its events to `log`. Cancel-safe while
    /// it waits for the frame (use it in `select!` or under `timeout`); with a storage
    /// whose writes yield (not `FileStorage`), do not cancel it once a frame has arrived.
    pub async fn recv<L: LocalLog>(&mut self, log: &mut L) -> Result<Received, ClientError> {
        loop {
            if let Some(received) = self.next_frame(log).await? {
                return Ok(received);
            }
        }
    }

    /// Reads one frame: `Some` for a sync message (applied to `log`), `None` for a pong.
    async fn next_frame<L: LocalLog>(&mut self, local: &mut L) -> Result<Option<Received>, ClientError> {
        loop {
            let frame = match tokio::time::timeout(self.timeout, self.socket.next()).await {
                Err(_) => return Err(ClientError::Timeout(self.timeout)),
                Ok(None) => return Err(ClientError::Closed(None)),
                Ok(Some(Err(e))) => return Err(ClientError::Transport(e.to_string())),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Binary(bytes) if ErrorFrame::is_error_frame(&bytes) => {
                    return Err(ClientError::Refused(ErrorFrame::decode(&bytes)?));
                }
                Message::Binary(bytes) => {
                    let incoming = decode_message(local.log(), &mut self.state, &bytes)?;
                    let received = if incoming.events.is_empty() {
                        Received::default()
                    } else {
                        local.receive_remote(incoming.events).await?
                    };
                    return Ok(Some(received));
                }
                Message::Pong(payload) => {
                    if let Ok(n) = <[u8; 8]>::try_from(payload.as_ref()) {
                        self.pong = self.pong.max(u64::from_be_bytes(n));
                    }
                    return Ok(None);
                }
                Message::Close(close) => return Err(ClientError::Closed(close.map(|c| c.code.into()))),
                Message::Text(_) => return Err(DecodeError::BadMagic.into()),
                _ => {}
            }
        }
    }

    /// Syncs `log` with the room until both hold the same events and the relay has
    /// acknowledged (made durable) every event of `log`. Returns the events received.
    ///
    /// The relay's knowledge in hand may be stale (its newer messages may still be on the
    /// way), so this first sends a WebSocket ping as a barrier: the relay answers it after
    /// everything it owed this connection when it read the ping, and after the
    /// acknowledgement of everything sent before it.
    pub async fn sync<L: LocalLog>(&mut self, local: &mut L) -> Result<usize, ClientError> {
        self.push(local).await?;
        self.ping += 1;
        let barrier = self.ping;
        self.socket
            .send(Message::Ping(barrier.to_be_bytes().to_vec().into()))
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let mut received = 0;
        loop {
            if self.pong >= barrier && self.state.their_version() == Some(local.log().version()) {
                return Ok(received);
            }
            if let Some(r) = self.next_frame(local).await? {
                received += r.applied.len();
                self.push(local).await?;
            }
        }
    }

    /// Sends a raw frame (tests use it to send malformed ones).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        self.socket.send(Message::Binary(bytes.into())).await.map_err(|e| ClientError::Transport(e.to_string()))
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

async fn open(url: &str) -> Result<Socket, ClientError> {
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    Ok(socket)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
