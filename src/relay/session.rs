//! One WebSocket connection to a room: the core sync protocol, run against the room's log.
//!
//! The relay is just another peer: one [`SyncState`] per connection, a loop that sends
//! whatever [`generate_message`] has to say, and, for each binary frame that arrives,
//! [`decode_message`], then [`Room::write`] (durable, then applied), then an
//! acknowledgement: the next message announces the relay's version, which now includes
//! the client's events. When another connection's events land in the room, the room's
//! change signal wakes this session, which sends them on.
//!
//! A frame that is not a sync message, events the log refuses, or a storage failure end
//! the connection with an error frame (see [`super::frame`]); the room is unchanged by the
//! refused frame and stays open for everyone else.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};

use super::frame::{ErrorCode, ErrorFrame};
use super::room::RoomName;
use super::server::{send_error, Shared};
use crate::core::error::Error;
use crate::core::sync::{decode_message, generate_message, SyncState};

/// How a session ended, for the connection's log line.
enum End {
    ClientClosed,
    Shutdown,
    Refused(ErrorFrame),
    Transport(String),
}

/// Serves one upgraded connection until it closes. Logs one line when it opens and one
/// when it ends.
pub(crate) async fn run(shared: Arc<Shared>, mut socket: WebSocket, conn: u64, peer: SocketAddr, name: RoomName) {
    let room = match shared.rooms.get(&name).await {
        Ok(room) => room,
        Err(e) => {
            tracing::error!(conn, %peer, room = %name, "cannot open the room: {e}");
            let _ = send_error(&mut socket, &ErrorFrame::new(ErrorCode::Storage, e.to_string())).await;
            return;
        }
    };
    tracing::info!(conn, %peer, room = %name, "connected");
    let mut state = SyncState::new();
    let mut changed = room.subscribe();
    let mut shutdown = shared.shutdown.clone();
    let end = loop {
        // Mark the room's changes seen *before* reading the log, so none is missed.
        changed.borrow_and_update();
        // Say everything there is to say (several messages when the peer lacks a lot).
        let mut failed = None;
        while let Some(msg) = room.read(|log| generate_message(log, &mut state)) {
            if let Err(e) = socket.send(Message::Binary(msg.into())).await {
                failed = Some(End::Transport(e.to_string()));
                break;
            }
        }
        if let Some(end) = failed {
            break end;
        }
        // `biased`: a room change is handled before the next frame is read, so the pong
        // to a client's ping (a barrier, see the native client's `sync`) follows every
        // event that was in the room when the ping was read.
        tokio::select! {
            biased;
            _ = changed.changed() => {}
            _ = stopped(&mut shutdown) => break End::Shutdown,
            frame = socket.recv() => match frame {
                Some(Ok(Message::Binary(bytes))) => {
                    if let Err(frame) = receive(&room, &mut state, &bytes).await {
                        break End::Refused(frame);
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    break End::Refused(ErrorFrame::new(ErrorCode::Protocol, "text frames are not part of the protocol"));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break End::ClientClosed,
                Some(Err(e)) => break transport_end(e),
            },
        }
    };
    let stats = state.stats();
    let (sent, received) = (stats.events_sent, stats.events_received);
    match end {
        End::ClientClosed => tracing::info!(conn, %peer, room = %name, sent, received, "closed by the client"),
        End::Transport(e) => tracing::info!(conn, %peer, room = %name, sent, received, "connection lost: {e}"),
        End::Shutdown => {
            let close = CloseFrame { code: 1001, reason: "the relay is shutting down".into() };
            let _ = socket.send(Message::Close(Some(close))).await;
            tracing::info!(conn, %peer, room = %name, sent, received, "closed: shutdown");
        }
        End::Refused(frame) => {
            tracing::warn!(conn, %peer, room = %name, sent, received, "closed with an error: {frame}");
            let _ = send_error(&mut socket, &frame).await;
        }
    }
}

/// Decodes one frame, makes its events durable and applied, and arranges the ack.
async fn receive(room: &super::room::Room, state: &mut SyncState, bytes: &[u8]) -> Result<(), ErrorFrame> {
    let incoming = room
        .read(|log| decode_message(log, state, bytes))
        .map_err(|e| ErrorFrame::new(ErrorCode::Decode, format!("not a sync message: {e}")))?;
    if let Some(e) = incoming.error {
        // A WebSocket delivers whole frames: a damaged one is a broken client, not a cut
        // connection. Refuse all of it.
        return Err(ErrorFrame::new(ErrorCode::Decode, format!("damaged sync message: {e}")));
    }
    if incoming.events.is_empty() {
        return Ok(());
    }
    room.write(incoming.events).await.map_err(|e| match e {
        Error::Storage(e) => {
            tracing::error!(room = %room.name(), "storage failed: {e}");
            ErrorFrame::new(ErrorCode::Storage, "the relay could not store the events; nothing was acknowledged")
        }
        Error::Decode(e) => ErrorFrame::new(ErrorCode::Decode, e.to_string()),
        other => ErrorFrame::new(ErrorCode::InvalidEvent, other.to_string()),
    })?;
    state.acknowledge();
    Ok(())
}

/// Completes once the relay shuts down.
pub(crate) async fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

fn transport_end(e: axum::Error) -> End {
    let text = e.to_string();
    if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
        End::Refused(ErrorFrame::new(ErrorCode::TooLarge, text))
    } else {
        End::Transport(text)
    }
}
