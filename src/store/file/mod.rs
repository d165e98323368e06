//! [`FileStorage`]: a checksummed, append-only log file in a directory, for native use
//! (the relay server, Rust backends, tests). Why a hand-written file rather than SQLite:
//! docs/storage.md.
//!
//! One file holds everything, in write order: event batches, snapshots and meta values are
//! all records, and for a snapshot or meta name the last record wins. Keeping them in one
//! stream means what survives a crash is always a prefix of the writes (a snapshot never
//! survives while the batches it covers are lost). Superseded snapshot and meta records
//! are dropped by a compaction (rewrite to a temporary file, fsync, rename) once they
//! outweigh the live data.
//!
//! # File format (version 1)
//!
//! ```text
//! directory/
//!   log.evl       the log
//!   log.evl.tmp   a new or compacted log being written (deleted on open if left over)
//!   lock          held with an exclusive OS lock while the log is open
//!
//! log.evl:
//! +-----+-----+-----+-----+---------+------+------+------+
//! | 'E' | 'V' | 'L' | 'F' | version | 0x00 | 0x00 | 0x00 |   header, 8 bytes; version = 1
//! +-----+-----+-----+-----+---------+------+------+------+
//! | record | record | record | …                             until the end of the file
//! +--------+--------+--------+
//!
//! record:
//!  0      1                5                 9      10
//! +------+----------------+-----------------+------+---------------------+
//! | 0xE7 | len: u32 LE    | crc: u32 LE     | kind | payload (len bytes) |
//! +------+----------------+-----------------+------+---------------------+
//!   crc = CRC-32 (IEEE) of the len bytes, the kind byte and the payload.
//!   kind 1 = batch:    payload = an encoded event batch (core::codec, "EVLB…")
//!   kind 2 = snapshot: payload = name_len: u32 LE | name (UTF-8) | snapshot bytes
//!   kind 3 = meta:     payload = key_len:  u32 LE | key (UTF-8)  | value bytes
//! ```
//!
//! # Recovery on open
//!
//! The file is scanned from the header on. The first record that is cut short, has a bad
//! magic or a bad checksum ends the valid part:
//! - if no valid record follows it, it is a **torn tail** (a write cut by a crash): the
//!   file is truncated there and [`FileStorage::recovery`] says how many bytes went. With
//!   [`Durability::Strict`] nothing acknowledged is lost, since an append only returns
//!   after its record is fsynced;
//! - if a valid record follows it, the file is **damaged** in the middle: opening fails
//!   with `DataError` and leaves the file untouched, unless [`FileOptions::repair`] asks to
//!   truncate at the damage anyway.
//!
//! A file with a newer format version is refused with `VersionError`; a file that is not
//! a log (bad magic) with `DataError`.

mod format;
mod io;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use format::{Kind, Record, Tail};
pub use format::{FILE_MAGIC, FILE_VERSION, HEADER_LEN, RECORD_HEADER_LEN, RECORD_MAGIC};
use io::{io_error, LOG_FILE, TEMP_FILE};

use super::storage::{closed_error, names, Durability, Loaded, SimulateCrash, Storage};
use crate::core::error::StorageError;

/// How a [`FileStorage`] is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOptions {
    /// `Strict` (default): fsync before every write returns. `Relaxed`: hand writes to the
    /// OS only (survives a process crash; power loss may drop the latest writes).
    pub durability: Durability,
    /// Open a file damaged in the middle by truncating it at the damage (losing every
    /// record after it) instead of refusing it. Default `false`.
    pub repair: bool,
    /// Compact once superseded snapshot/meta records take more than this many bytes and
    /// more than half the file. Default 8 MiB.
    pub compact_after: u64,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions { durability: Durability::Strict, repair: false, compact_after: 8 << 20 }
    }
}

impl FileOptions {
    pub fn relaxed() -> Self {
        FileOptions { durability: Durability::Relaxed, ..Self::default() }
    }
}

/// What opening the file had to repair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Bytes cut from the end of the file (a torn tail, or damage under `repair`).
    pub truncated_bytes: u64,
    /// Why the cut was made, when one was.
    pub reason: Option<&'static str>,
}

/// A log stored as one checksummed, append-only file in a directory. See the
/// [module docs](self) for the format and the recovery rules.
#[derive(Debug)]
pub struct FileStorage {
    dir: PathBuf,
    opts: FileOptions,
    /// `None` once closed, or dead after a failed rollback or a simulated crash.
    file: Option<File>,
    lock: Option<File>,
    /// End of the last valid record: where the next record goes.
    len: u64,
    /// Bytes of superseded snapshot/meta records (what a compaction would drop).
    dead_bytes: u64,
    named: HashMap<(Kind, String), u64>,
    /// What the open-time scan found, handed out by the first `load`.
    preloaded: Option<Loaded>,
    recovery: Recovery,
}

impl FileStorage {
    /// Opens (creating if needed) the log in `dir`, recovering from a torn tail.
    pub fn open(dir: impl AsRef<Path>, opts: FileOptions) -> Result<Self, StorageError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_error("creating the log directory", e))?;
        let lock = io::lock_dir(&dir)?;
        // A temporary file left by a crash is an unfinished create or compaction: the log
        // file itself is still the whole truth.
        let _ = fs::remove_file(dir.join(TEMP_FILE));
        if !dir.join(LOG_FILE).exists() {
            io::replace_log_file(&dir, &format::file_header())?;
        }
        let mut file = io::open_log_file(&dir)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| io_error("reading the log file", e))?;
        let mut recovery = Recovery::default();
        if !format::check_header(&bytes)? {
            // Shorter than a header yet a prefix of one: a creation cut short, empty.
            io::replace_log_file(&dir, &format::file_header())?;
            file = io::open_log_file(&dir)?;
            bytes = format::file_header().to_vec();
        }
        let (records, tail) = format::scan(&bytes);
        let valid = match tail {
            Tail::Clean => bytes.len(),
            Tail::Torn { at } => {
                recovery.reason = Some("torn tail");
                at
            }
            Tail::Corrupt { at, why } if opts.repair => {
                recovery.reason = Some(why);
                at
            }
            Tail::Corrupt { at, why } => {
                return Err(StorageError::new(
                    names::DATA,
                    format!(
                        "the log file is damaged at byte {at} ({why}) and valid records follow; \
                         open with FileOptions::repair to truncate it there"
                    ),
                ))
            }
        };
        if valid < bytes.len() {
            recovery.truncated_bytes = (bytes.len() - valid) as u64;
            file.set_len(valid as u64).map_err(|e| io_error("truncating a torn tail", e))?;
            file.sync_all().map_err(|e| io_error("syncing after truncation", e))?;
            bytes.truncate(valid);
        }
        let mut s = FileStorage {
            dir,
            opts,
            file: Some(file),
            lock: Some(lock),
            len: valid as u64,
            dead_bytes: 0,
            named: HashMap::new(),
            preloaded: None,
            recovery,
        };
        s.index(&bytes, &records);
        s.preloaded = Some(format::collect(&bytes, &records));
        Ok(s)
    }

    /// The directory holding the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What opening had to repair.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Length of the log file in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    pub fn options(&self) -> &FileOptions {
        &self.opts
    }

    /// Rewrites the file without superseded snapshot and meta records (atomically: temp
    /// file, fsync, rename). Runs by itself past [`FileOptions::compact_after`].
    pub fn compact(&mut self) -> Result<(), StorageError> {
        let bytes = self.read_all()?;
        let (records, tail) = format::scan(&bytes);
        if tail != Tail::Clean {
            return Err(StorageError::new(names::DATA, "the log file changed under this handle"));
        }
        let mut latest: HashMap<(Kind, &str), usize> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some((name, _)) =
                (r.kind != Kind::Batch).then(|| format::split_named(&bytes[r.payload.clone()])).flatten()
            {
                latest.insert((r.kind, name), i);
            }
        }
        let mut out = Vec::with_capacity(bytes.len().saturating_sub(self.dead_bytes as usize));
        out.extend_from_slice(&format::file_header());
        let mut keep: Vec<usize> = latest.into_values().collect();
        keep.sort_unstable();
        let batches = records.iter().filter(|r| r.kind == Kind::Batch);
        for r in batches.chain(keep.iter().map(|i| &records[*i])) {
            out.extend_from_slice(&bytes[r.span.clone()]);
        }
        io::replace_log_file(&self.dir, &out)?;
        // The old handle points at the replaced file: switch, or die trying.
        self.file = None;
        let file = io::open_log_file(&self.dir)?;
        self.file = Some(file);
        self.len = out.len() as u64;
        self.dead_bytes = 0;
        Ok(())
    }

    fn index(&mut self, bytes: &[u8], records: &[Record]) {
        for r in records.iter().filter(|r| r.kind != Kind::Batch) {
            if let Some((name, _)) = format::split_named(&bytes[r.payload.clone()]) {
                let size = r.span.len() as u64;
                if let Some(old) = self.named.insert((r.kind, name.to_owned()), size) {
                    self.dead_bytes += old;
                }
            }
        }
    }

    fn live_file(&mut self) -> Result<&mut File, StorageError> {
        self.file.as_mut().ok_or_else(closed_error)
    }

    fn read_all(&mut self) -> Result<Vec<u8>, StorageError> {
        let len = self.len as usize;
        let file = self.live_file()?;
        let mut bytes = vec![0; len];
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| io_error("reading the log file", e))?;
        Ok(bytes)
    }

    /// Writes one encoded record at the end; on failure cuts the file back so nothing of
    /// it remains (or marks the handle dead if even that fails).
    fn write_record(&mut self, record: &[u8]) -> Result<(), StorageError> {
        let (len, strict) = (self.len, self.opts.durability == Durability::Strict);
        self.preloaded = None;
        let file = self.live_file()?;
        let written = file.seek(SeekFrom::Start(len)).and_then(|_| file.write_all(record));
        let synced = written.map_err(|e| io_error("writing to the log file", e)).and_then(|()| {
            if strict {
                file.sync_data().map_err(|e| io_error("syncing the log file", e))
            } else {
                Ok(())
            }
        });
        if let Err(e) = synced {
            let rolled_back = file.set_len(len).and_then(|()| if strict { file.sync_data() } else { Ok(()) });
            if rolled_back.is_err() {
                // The file may hold part of the record: only a reopen (which truncates a
                // torn tail) can tell what is stored.
                self.file = None;
                self.lock = None;
            }
            return Err(e);
        }
        self.len += record.len() as u64;
        Ok(())
    }

    fn put_named(&mut self, kind: Kind, name: &str, value: &[u8]) -> Result<(), StorageError> {
        self.live_file()?;
        let mut record = Vec::new();
        format::encode_named(kind, name, value, &mut record)?;
        self.write_record(&record)?;
        if let Some(old) = self.named.insert((kind, name.to_owned()), record.len() as u64) {
            self.dead_bytes += old;
        }
        if self.dead_bytes > self.opts.compact_after && self.dead_bytes > self.len / 2 {
            // The write is stored either way; a failed compaction leaves the old file,
            // which stays valid (or a dead handle, which later calls report).
            let _ = self.compact();
        }
        Ok(())
    }
}

impl Storage for FileStorage {
    async fn load(&mut self) -> Result<Loaded, StorageError> {
        if let Some(loaded) = self.preloaded.take().filter(|_| self.file.is_some()) {
            return Ok(loaded);
        }
        let bytes = self.read_all()?;
        let (records, tail) = format::scan(&bytes);
        if tail != Tail::Clean {
            return Err(StorageError::new(names::DATA, "the log file changed under this handle"));
        }
        Ok(format::collect(&bytes, &records))
    }

    async fn append(&mut self, batch: &[u8]) -> Result<(), StorageError> {
        self.live_file()?;
        let mut record = Vec::new();
        format::encode_record(Kind::Batch, &[batch], &mut record)?;
        self.write_record(&record)
    }

    async fn put_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.put_named(Kind::Snapshot, name, bytes)
    }

    async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        self.put_named(Kind::Meta, key, value)
    }

    async fn close(&mut self) -> Result<(), StorageError> {
        let Some(file) = self.file.take() else { return Ok(()) };
        self.preloaded = None;
        // Relaxed writes become durable at close at the latest.
        let synced = match self.opts.durability {
            Durability::Relaxed => file.sync_data().map_err(|e| io_error("syncing the log file on close", e)),
            Durability::Strict => Ok(()),
        };
        drop(file);
        self.lock = None;
        synced
    }
}

impl SimulateCrash for FileStorage {
    fn crash_during_append(&mut self, batch: &[u8], keep: usize) {
        let mut record = Vec::new();
        if format::encode_record(Kind::Batch, &[batch], &mut record).is_ok() {
            let len = self.len;
            if let Some(file) = self.file.as_mut() {
                let part = &record[..keep.min(record.len())];
                let _ = file.seek(SeekFrom::Start(len)).and_then(|_| file.write_all(part));
            }
        }
        // Dead as a crashed process: no sync, no cleanup; the OS releases the lock.
        self.file = None;
        self.lock = None;
        self.preloaded = None;
    }
}
