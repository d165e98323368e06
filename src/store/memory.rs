//! [`MemoryStorage`]: a backend that keeps everything in memory.
//!
//! It is the `storage: "memory"` option of the JavaScript API, the reference backend of
//! the contract tests, and the base the fault injector wraps. Its data lives behind a
//! shared handle: [`MemoryStorage::reopen`] gives a fresh handle on the same data, which
//! is how tests and the convergence fuzzer simulate a restart that kept what was stored.
//! Writes are trivially atomic (a batch is one `Vec` pushed under a lock), so a simulated
//! crash stores nothing.

use std::sync::{Arc, Mutex, MutexGuard};

use super::storage::{closed_error, Loaded, SimulateCrash, Storage};
use crate::core::error::StorageError;

/// In-memory storage. Cloning a handle is not supported; use [`reopen`](Self::reopen).
#[derive(Debug, Default)]
pub struct MemoryStorage {
    data: Arc<Mutex<Loaded>>,
    closed: bool,
}

impl MemoryStorage {
    /// A new, empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new open handle on the same data, as after a restart that kept the store.
    pub fn reopen(&self) -> Self {
        MemoryStorage { data: self.data.clone(), closed: false }
    }

    /// Bytes stored: batches, snapshots (name and value) and meta (key and value).
    pub fn stored_bytes(&self) -> u64 {
        let d = self.lock();
        let batches: usize = d.batches.iter().map(Vec::len).sum();
        let snaps: usize = d.snapshots.iter().map(|(n, b)| n.len() + b.len()).sum();
        let meta: usize = d.meta.iter().map(|(k, v)| k.len() + v.len()).sum();
        (batches + snaps + meta) as u64
    }

    fn lock(&self) -> MutexGuard<'_, Loaded> {
        // A panic while holding the lock cannot leave a half-written entry (every write is
        // one push or insert), so a poisoned lock still holds consistent data.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open_data(&self) -> Result<MutexGuard<'_, Loaded>, StorageError> {
        if self.closed {
            return Err(closed_error());
        }
        Ok(self.lock())
    }
}

impl Storage for MemoryStorage {
    async fn load(&mut self) -> Result<Loaded, StorageError> {
        Ok(self.open_data()?.clone())
    }

    async fn append(&mut self, batch: &[u8]) -> Result<(), StorageError> {
        self.open_data()?.batches.push(batch.to_vec());
        Ok(())
    }

    async fn put_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let mut d = self.open_data()?;
        match d.snapshots.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => d.snapshots[i].1 = bytes.to_vec(),
            Err(i) => d.snapshots.insert(i, (name.to_owned(), bytes.to_vec())),
        }
        Ok(())
    }

    async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        self.open_data()?.meta.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    async fn close(&mut self) -> Result<(), StorageError> {
        self.closed = true;
        Ok(())
    }
}

impl SimulateCrash for MemoryStorage {
    fn crash_during_append(&mut self, _batch: &[u8], _keep: usize) {
        self.closed = true;
    }
}
