//! Rooms: one durable log per room, shared by the room's connections.
//!
//! Each room is a [`FileStorage`] (the store layer's checksummed append-only file) in
//! `DATA/rooms/ROOM/`. A room is opened (replayed into a [`Log`] by [`Replica::open`])
//! when its first connection arrives and closed when its last one leaves. Reads (generating sync messages) take a shared
//! lock on the log. All writes go through one writer task per room, which **group
//! commits**: it takes every batch queued while the previous write was on disk, persists
//! them as one storage record with one `fsync`, applies them, and only then answers each
//! session and wakes the room's other sessions. So an event is visible to anyone (and
//! acknowledged to its sender) only once it is durable, and a hundred clients writing at
//! once cost one `fsync` per round, not a hundred.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};

use tokio::sync::{mpsc, oneshot, watch};

use crate::core::codec::encode_events;
use crate::core::error::{Error, StorageError};
use crate::core::event::Event;
use crate::core::log::{Log, Received};
use crate::store::{block_on, names, FileOptions, FileStorage, Replica, Storage};

/// A valid room name: 1 to 128 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
/// It names the room's file, so nothing else is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(s: &str) -> Result<RoomName, String> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && !s.starts_with('.')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(RoomName(s.to_owned()))
        } else {
            Err(format!(
                "bad room name {:?}: use 1 to 128 of A-Z a-z 0-9 . _ -, not starting with '.'",
                s.chars().take(40).collect::<String>()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The rooms of a relay, opened on demand.
pub struct Rooms {
    dir: PathBuf,
    open: Mutex<HashMap<RoomName, Weak<Room>>>,
    /// Per room, held by its writer task for as long as it runs: a room reopened right
    /// after its last client left waits until the previous writer has let go of the file.
    files: Mutex<HashMap<RoomName, Arc<tokio::sync::Mutex<()>>>>,
    /// Serialises opening, so one room is never opened twice at once.
    opening: tokio::sync::Mutex<()>,
}

impl Rooms {
    /// Uses `data_dir/rooms/`, creating it if needed.
    pub fn open(data_dir: &Path) -> Result<Rooms, String> {
        let dir = data_dir.join("rooms");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
        Ok(Rooms {
            dir,
            open: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
            opening: tokio::sync::Mutex::new(()),
        })
    }

    /// The room, opened from disk if no connection holds it.
    pub async fn get(&self, name: &RoomName) -> Result<Arc<Room>, StorageError> {
        if let Some(room) = self.lookup(name) {
            return Ok(room);
        }
        let _guard = self.opening.lock().await;
        if let Some(room) = self.lookup(name) {
            return Ok(room);
        }
        let file = self.files.lock().expect("rooms lock").entry(name.clone()).or_default().clone();
        let file = file.lock_owned().await;
        let path = self.dir.join(name.as_str());
        let room = tokio::task::spawn_blocking({
            let name = name.clone();
            move || Room::open(name, &path, file)
        })
        .await
        .map_err(|e| StorageError::new("UnknownError", format!("opening the room panicked: {e}")))??;
        self.open.lock().expect("rooms lock").insert(name.clone(), Arc::downgrade(&room));
        Ok(room)
    }

    fn lookup(&self, name: &RoomName) -> Option<Arc<Room>> {
        let mut open = self.open.lock().expect("rooms lock");
        open.retain(|_, w| w.strong_count() > 0);
        open.get(name).and_then(Weak::upgrade)
    }
}

struct Write {
    events: Vec<Event>,
    reply: oneshot::Sender<Result<Received, Error>>,
}

/// One open room.
pub struct Room {
    name: RoomName,
    log: Arc<RwLock<Log>>,
    writes: mpsc::UnboundedSender<Write>,
    changed: watch::Receiver<u64>,
}

impl Room {
    fn open(name: RoomName, dir: &Path, file: tokio::sync::OwnedMutexGuard<()>) -> Result<Arc<Room>, StorageError> {
        let storage = FileStorage::open(dir, FileOptions::default())?;
        let cut = storage.recovery().truncated_bytes;
        if cut > 0 {
            tracing::warn!(room = %name, bytes = cut, "cut a torn last record (never acknowledged)");
        }
        let replica = block_on(Replica::open(storage, None)).map_err(|e| match e {
            Error::Storage(e) => e,
            other => StorageError::new(names::DATA, format!("{}: stored events are refused: {other}", dir.display())),
        })?;
        let (log, storage) = replica.into_parts();
        tracing::info!(room = %name, events = log.len(), "room opened");
        let log = Arc::new(RwLock::new(log));
        let (name2, log2) = (name.clone(), log.clone());
        let (writes, queue) = mpsc::unbounded_channel();
        let (notify, changed) = watch::channel(0);
        tokio::spawn(async move {
            writer(name2, log2, storage, queue, notify).await;
            drop(file);
        });
        Ok(Arc::new(Room { name, log, writes, changed }))
    }

    pub fn name(&self) -> &RoomName {
        &self.name
    }

    /// Runs `f` on the room's log (shared; do not block in it).
    pub fn read<R>(&self, f: impl FnOnce(&Log) -> R) -> R {
        f(&self.log.read().expect("room log lock"))
    }

    /// Persists and applies remote events; returns once they are durable and applied.
    pub async fn write(&self, events: Vec<Event>) -> Result<Received, Error> {
        let (reply, answer) = oneshot::channel();
        self.writes
            .send(Write { events, reply })
            .map_err(|_| StorageError::new("InvalidStateError", "the room's writer stopped"))?;
        answer.await.map_err(|_| StorageError::new("InvalidStateError", "the room's writer stopped"))?
    }

    /// Changes after every write that applied events.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.clone()
    }
}

/// Most writes merged into one storage record.
const MAX_GROUP: usize = 256;

/// The room's only writer: group commit, see the module docs. Ends when the room is dropped.
async fn writer(
    name: RoomName,
    log: Arc<RwLock<Log>>,
    storage: FileStorage,
    mut queue: mpsc::UnboundedReceiver<Write>,
    notify: watch::Sender<u64>,
) {
    let mut storage = Some(storage);
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        let Some(s) = storage.take() else { break };
        let (s, applied) = match tokio::task::spawn_blocking({
            let log = log.clone();
            let group = std::mem::take(&mut group);
            let notify = notify.clone();
            move || commit_group(&log, s, group, &notify)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(room = %name, "the room writer panicked: {e}");
                return;
            }
        };
        storage = Some(s);
        if applied > 0 {
            tracing::debug!(room = %name, applied, "group committed");
        }
    }
}

/// Persists then applies a group of writes, wakes the room's sessions, then answers each
/// writer (so a writer's acknowledgement implies the others were woken). Returns how many
/// events applied.
fn commit_group(
    log: &RwLock<Log>,
    mut storage: FileStorage,
    group: Vec<Write>,
    notify: &watch::Sender<u64>,
) -> (FileStorage, usize) {
    let wake = |n: usize| {
        if n > 0 {
            notify.send_modify(|g| *g += 1);
        }
    };
    // Fast path: the whole group is valid, one record, one fsync.
    if group.len() > 1 {
        let all: Vec<Event> = group.iter().flat_map(|w| w.events.iter().cloned()).collect();
        if let Ok(received) = persist_and_apply(log, &mut storage, all) {
            let n = received.applied.len();
            wake(n);
            for w in group {
                let _ = w.reply.send(Ok(Received::default()));
            }
            return (storage, n);
        }
    }
    // One by one, so a bad batch fails alone.
    let mut n = 0;
    for w in group {
        let result = persist_and_apply(log, &mut storage, w.events);
        if let Ok(r) = &result {
            n += r.applied.len();
            wake(r.applied.len());
        }
        let _ = w.reply.send(result);
    }
    (storage, n)
}

fn persist_and_apply(log: &RwLock<Log>, storage: &mut FileStorage, events: Vec<Event>) -> Result<Received, Error> {
    // Only this task writes the log, so the plan stays valid while the storage syncs,
    // and readers keep going meanwhile.
    let prepared = log.read().expect("room log lock").prepare_receive(events)?;
    if !prepared.ready.is_empty() {
        block_on(storage.append(&encode_events(&prepared.ready)))?;
    }
    log.write().expect("room log lock").commit_receive(prepared)
}
