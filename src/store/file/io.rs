//! File system helpers for [`super::FileStorage`]: creating a file atomically, locking
//! the directory, making renames durable, and mapping I/O errors to DOMException names.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::core::error::StorageError;
use crate::store::storage::names;

/// The log file inside the directory.
pub const LOG_FILE: &str = "log.evl";
/// Where a new or compacted log file is written before it is renamed over [`LOG_FILE`].
pub const TEMP_FILE: &str = "log.evl.tmp";
/// Held with an exclusive OS lock while a handle is open, so two processes never write
/// the same log. Never deleted (deleting a lock file races with lockers).
pub const LOCK_FILE: &str = "lock";

/// A storage error for an I/O failure during `what`.
pub fn io_error(what: &str, e: io::Error) -> StorageError {
    let name = match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            names::QUOTA_EXCEEDED
        }
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => names::NO_MODIFICATION,
        _ => names::UNKNOWN,
    };
    StorageError::new(name, format!("{what}: {e}"))
}

/// Takes the directory's lock, or fails when another handle (in any process) holds it.
pub fn lock_dir(dir: &Path) -> Result<File, StorageError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| io_error("opening the lock file", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StorageError::new(
            names::NO_MODIFICATION,
            format!("the log in {} is open in another handle or process", dir.display()),
        )),
        Err(fs::TryLockError::Error(e)) => Err(io_error("locking the log directory", e)),
    }
}

/// Makes the directory entry changes (create, rename) durable.
pub fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error("syncing the log directory", e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Replaces `dir/LOG_FILE` with `bytes` atomically: write a temporary file, fsync it,
/// rename it over the log, fsync the directory. A crash leaves the old file or the new
/// one, never a mix.
pub fn replace_log_file(dir: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let tmp = dir.join(TEMP_FILE);
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("writing a new log file", e));
    }
    fs::rename(&tmp, dir.join(LOG_FILE)).map_err(|e| io_error("renaming the new log file", e))?;
    sync_dir(dir)
}

/// Opens the log file for reading and writing.
pub fn open_log_file(dir: &Path) -> Result<File, StorageError> {
    OpenOptions::new().read(true).write(true).open(dir.join(LOG_FILE)).map_err(|e| io_error("opening the log file", e))
}
