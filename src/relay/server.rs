//! The HTTP side of the relay: the `/sync` WebSocket endpoint, static files, shutdown.
//!
//! Authentication happens before the upgrade, but a refused client is still upgraded: it
//! gets an error frame and a close code (see [`super::frame`]), because a browser cannot
//! read the status of a refused WebSocket handshake and would only see "connection failed".
//!
//! Shutdown: on the signal, the listener stops accepting, every session is told to finish
//! (it sends close code 1001 "going away"), and [`Relay::serve`] returns once every session
//! has ended. Nothing needs flushing then: a session acknowledges events only after they
//! are durable.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tower_http::services::ServeDir;

use super::auth::Auth;
use super::config::Config;
use super::frame::{ErrorCode, ErrorFrame};
use super::room::{RoomName, Rooms};
use super::session;

/// How long a shutdown waits for sessions to close.
const SESSION_GRACE: Duration = Duration::from_secs(10);

/// Shared state of a running relay.
pub(crate) struct Shared {
    pub auth: Auth,
    pub rooms: Rooms,
    pub max_message: usize,
    /// Becomes `true` when the relay shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Every session holds a clone; `serve` waits until all are dropped.
    pub alive: mpsc::Sender<()>,
    next_conn: AtomicU64,
}

/// A bound, ready relay.
pub struct Relay {
    listener: TcpListener,
    router: Router,
    shutdown_tx: watch::Sender<bool>,
    alive_rx: mpsc::Receiver<()>,
    shared: Arc<Shared>,
}

#[derive(Deserialize)]
struct SyncParams {
    room: Option<String>,
    token: Option<String>,
}

impl Relay {
    /// Checks the configuration, opens the data directory and binds the listener.
    pub async fn bind(config: &Config) -> Result<Relay, String> {
        let auth = config.load_auth()?;
        let rooms = Rooms::open(&config.data_dir)?;
        let listener =
            TcpListener::bind(config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let (shutdown_tx, shutdown) = watch::channel(false);
        let (alive, alive_rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            auth,
            rooms,
            max_message: config.max_message,
            shutdown,
            alive,
            next_conn: AtomicU64::new(1),
        });
        let mut router = Router::new().route("/sync", get(sync_upgrade));
        if config.www.is_dir() {
            router = router.fallback_service(ServeDir::new(&config.www).append_index_html_on_directories(true));
        } else {
            tracing::warn!(www = %config.www.display(), "static directory not found; not serving files");
        }
        let router = router.with_state(shared.clone());
        Ok(Relay { listener, router, shutdown_tx, alive_rx, shared })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `signal` completes, then ends every session and returns.
    pub async fn serve(self, signal: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Relay { listener, router, shutdown_tx, mut alive_rx, shared } = self;
        let mut stop = shared.shutdown.clone();
        drop(shared);
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        let server =
            axum::serve(listener, app).with_graceful_shutdown(async move { session::stopped(&mut stop).await });
        let trigger = tokio::spawn(async move {
            signal.await;
            tracing::info!("shutting down");
            let _ = shutdown_tx.send(true);
        });
        let result = server.await;
        trigger.abort();
        // The router (and its `Shared`, holding the last `alive` sender outside sessions)
        // is gone once `serve` returns; wait for the sessions, but not for a client that
        // stopped reading: everything acknowledged is on disk already.
        let drained = tokio::time::timeout(SESSION_GRACE, async { while alive_rx.recv().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!("some connections did not close within {SESSION_GRACE:?}; stopping anyway");
        }
        tracing::info!("stopped");
        result
    }
}

async fn sync_upgrade(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(params): Query<SyncParams>,
    ws: WebSocketUpgrade,
) -> Response {
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let ws = ws.max_message_size(shared.max_message).max_frame_size(shared.max_message);
    let room = match params.room.as_deref().map(RoomName::parse) {
        Some(Ok(room)) => room,
        Some(Err(e)) => return refuse(ws, conn, peer, ErrorFrame::new(ErrorCode::BadRoom, e)),
        None => return refuse(ws, conn, peer, ErrorFrame::new(ErrorCode::BadRoom, "the `room` parameter is missing")),
    };
    if let Err(e) = shared.auth.check(room.as_str(), params.token.as_deref()) {
        tracing::warn!(conn, %peer, room = %room, "refused: {e}");
        return refuse(ws, conn, peer, ErrorFrame::new(ErrorCode::Unauthorized, e.to_string()));
    }
    if *shared.shutdown.borrow() {
        return refuse(ws, conn, peer, ErrorFrame::new(ErrorCode::ShuttingDown, "the relay is shutting down"));
    }
    let alive = shared.alive.clone();
    ws.on_upgrade(move |socket| async move {
        session::run(shared, socket, conn, peer, room).await;
        drop(alive);
    })
}

fn refuse(ws: WebSocketUpgrade, conn: u64, peer: SocketAddr, frame: ErrorFrame) -> Response {
    if frame.code != ErrorCode::Unauthorized {
        tracing::warn!(conn, %peer, "refused: {frame}");
    }
    ws.on_upgrade(move |mut socket| async move {
        let _ = send_error(&mut socket, &frame).await;
    })
}

/// Sends `frame`, then closes with its close code. Errors mean the peer is gone already.
pub(crate) async fn send_error(socket: &mut WebSocket, frame: &ErrorFrame) -> Result<(), axum::Error> {
    socket.send(Message::Binary(frame.encode().into())).await?;
    let reason = frame.code.name().into();
    socket.send(Message::Close(Some(CloseFrame { code: frame.code.close_code(), reason }))).await
}
