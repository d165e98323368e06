//! One room's durable log on disk: an append-only journal of event batches.
//!
//! Embedded and set-up free: one file per room under the data directory. Every batch the
//! relay accepts is one record, written and `fsync`ed before the relay applies the events
//! and acknowledges them, so an acknowledged event survives `kill -9` and power loss
//! (as far as the disk honours `fsync`).
//!
//! # File layout (journal version 1)
//!
//! ```text
//! +----+----+----+----+------+
//! | 'E'| 'V'| 'L'| 'J'| 0x01 |          header, written and synced when the file is created
//! +----+----+----+----+------+
//! +-------------+-------------+------------------------------+
//! | len u32 LE  | crc32 u32 LE| batch: len bytes             |   record, repeated
//! +-------------+-------------+------------------------------+
//!   batch: the core batch format (magic "EVLB", see everlog::codec), events in causal order
//!   crc32: CRC-32 (IEEE) of the batch bytes
//! ```
//!
//! A crash can leave the last record torn. Opening the journal keeps every complete record
//! and cuts the file after the last one: a torn record was never acknowledged. A failed
//! write is cut off the same way at once, so later records never follow garbage; if even
//! that fails, the journal refuses further writes (the room reports a storage error)
//! rather than risk acknowledging an event it could not read back.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::core::codec::compress::crc32;
use crate::core::codec::{decode_events, encode_events};
use crate::core::error::StorageError;
use crate::core::event::Event;

/// Magic and version at the start of a journal file.
pub const JOURNAL_HEADER: [u8; 5] = *b"EVLJ\x01";
const RECORD_HEAD: usize = 8;
/// Largest record accepted when reading (a corrupt length must not allocate gigabytes).
const MAX_RECORD: usize = 1 << 30;

/// An open journal, positioned at its end.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    len: u64,
    broken: bool,
}

/// What opening a journal found.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The batches in write order.
    pub batches: Vec<Vec<Event>>,
    /// Bytes cut from the end (a torn last record), 0 after a clean shutdown.
    pub cut_bytes: u64,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and reads every complete record.
    pub fn open(path: &Path) -> Result<(Journal, Recovered), StorageError> {
        let existed = path.exists();
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(|e| io(path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| io(path, e))?;
        if bytes.is_empty() {
            file.write_all(&JOURNAL_HEADER).map_err(|e| io(path, e))?;
            file.sync_all().map_err(|e| io(path, e))?;
            if !existed {
                sync_dir(path)?;
            }
            let journal = Journal { path: path.to_owned(), file, len: JOURNAL_HEADER.len() as u64, broken: false };
            return Ok((journal, Recovered::default()));
        }
        if bytes.len() < JOURNAL_HEADER.len() || bytes[..4] != JOURNAL_HEADER[..4] {
            return Err(StorageError::new("DataError", format!("{} is not an everlog journal", path.display())));
        }
        if bytes[4] != JOURNAL_HEADER[4] {
            return Err(StorageError::new(
                "VersionError",
                format!("{}: journal version {} is not supported (this build reads 1)", path.display(), bytes[4]),
            ));
        }
        let (batches, good) = read_records(&bytes, path)?;
        let cut_bytes = (bytes.len() - good) as u64;
        if cut_bytes > 0 {
            file.set_len(good as u64).map_err(|e| io(path, e))?;
            file.sync_all().map_err(|e| io(path, e))?;
        }
        let journal = Journal { path: path.to_owned(), file, len: good as u64, broken: false };
        Ok((journal, Recovered { batches, cut_bytes }))
    }

    /// Appends one batch and waits until it is on disk.
    pub fn append(&mut self, events: &[Event]) -> Result<(), StorageError> {
        if self.broken {
            return Err(StorageError::new("InvalidStateError", "the journal failed earlier and refuses writes"));
        }
        let batch = encode_events(events);
        if batch.len() > MAX_RECORD {
            return Err(StorageError::new("QuotaExceededError", "a batch larger than 1 GiB"));
        }
        let mut record = Vec::with_capacity(RECORD_HEAD + batch.len());
        record.extend_from_slice(&(batch.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc32(&batch).to_le_bytes());
        record.extend_from_slice(&batch);
        let written = self.file.write_all(&record).and_then(|_| self.file.sync_data());
        if let Err(e) = written {
            // Cut the partial record so that later records never follow garbage.
            if self.file.set_len(self.len).and_then(|_| self.file.sync_all()).is_err() {
                self.broken = true;
            }
            return Err(io(&self.path, e));
        }
        self.len += record.len() as u64;
        Ok(())
    }

    /// Size of the file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= JOURNAL_HEADER.len() as u64
    }
}

/// Reads records after the header; returns the batches and the end of the last good one.
fn read_records(bytes: &[u8], path: &Path) -> Result<(Vec<Vec<Event>>, usize), StorageError> {
    let mut batches = Vec::new();
    let mut at = JOURNAL_HEADER.len();
    while bytes.len() - at >= RECORD_HEAD {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        let body_at = at + RECORD_HEAD;
        if len > MAX_RECORD || bytes.len() - body_at < len {
            break;
        }
        let body = &bytes[body_at..body_at + len];
        if crc32(body) != crc {
            break;
        }
        // A record with a good CRC that does not decode is not a torn write: refuse to
        // guess, rather than cut acknowledged events.
        let events = decode_events(body).map_err(|e| {
            StorageError::new("DataError", format!("{}: record at byte {at} is unreadable: {e}", path.display()))
        })?;
        batches.push(events);
        at = body_at + len;
    }
    Ok((batches, at))
}

fn io(path: &Path, e: io::Error) -> StorageError {
    let name = if e.kind() == io::ErrorKind::StorageFull { "QuotaExceededError" } else { "UnknownError" };
    StorageError::new(name, format!("{}: {e}", path.display()))
}

/// Makes a new file's directory entry durable.
fn sync_dir(path: &Path) -> Result<(), StorageError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ActorId, AppendOptions, Draft, Log};

    fn events(n: usize) -> Vec<Event> {
        let mut log = Log::new(ActorId::from_u128(7));
        let drafts = (0..n).map(|i| Draft::new("s", "T", serde_json::json!({ "i": i }))).collect();
        log.append(drafts, &AppendOptions::default(), 1).unwrap()
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("everlog-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("room.evlj")
    }

    #[test]
    fn batches_survive_reopen_and_a_torn_tail_is_cut() {
        let path = temp("torn");
        let evs = events(5);
        let first_end = {
            let (mut j, rec) = Journal::open(&path).unwrap();
            assert!(rec.batches.is_empty() && j.is_empty());
            j.append(&evs[..2]).unwrap();
            let first_end = j.len() as usize;
            j.append(&evs[2..]).unwrap();
            first_end
        };
        let full = std::fs::read(&path).unwrap();
        // Tear the last record anywhere: the first batch stays, the file is cut after it.
        for keep in [full.len() - 1, (first_end + full.len()) / 2, first_end + 3, first_end + 9] {
            std::fs::write(&path, &full[..keep]).unwrap();
            let (j, rec) = Journal::open(&path).unwrap();
            assert_eq!(rec.batches, vec![evs[..2].to_vec()]);
            assert!(rec.cut_bytes > 0);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), j.len());
        }
        std::fs::write(&path, &full).unwrap();
        let (_, rec) = Journal::open(&path).unwrap();
        assert_eq!(rec.batches, vec![evs[..2].to_vec(), evs[2..].to_vec()]);
        assert_eq!(rec.cut_bytes, 0);
    }

    #[test]
    fn foreign_files_are_refused() {
        let path = temp("foreign");
        std::fs::write(&path, b"hello world").unwrap();
        assert_eq!(Journal::open(&path).unwrap_err().name, "DataError");
        std::fs::write(&path, b"EVLJ\x02").unwrap();
        assert_eq!(Journal::open(&path).unwrap_err().name, "VersionError");
    }
}
