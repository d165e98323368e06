//! [`IdbStore`] as a [`Storage`] backend, so the store layer's generic code (the contract
//! suite, `FaultyStorage`, `Replica`) runs over IndexedDB too. The `EventLog` itself calls
//! the inherent methods, which also hand back the batch key (tabs announce it).

use crate::core::StorageError;
use crate::store::{Loaded, Storage};

use super::IdbStore;

impl Storage for IdbStore {
    async fn load(&mut self) -> Result<Loaded, StorageError> {
        let l = IdbStore::load(self).await.map_err(|e| e.error)?;
        Ok(Loaded {
            batches: l.batches.into_iter().map(|(_, b)| b).collect(),
            snapshots: l.snapshots,
            meta: l.meta.into_iter().collect(),
        })
    }

    async fn append(&mut self, batch: &[u8]) -> Result<(), StorageError> {
        IdbStore::append(self, batch).await.map(|_| ()).map_err(|e| e.error)
    }

    async fn put_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        IdbStore::put_snapshot(self, name, bytes).await.map_err(|e| e.error)
    }

    async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        IdbStore::put_meta(self, key, value).await.map_err(|e| e.error)
    }

    async fn close(&mut self) -> Result<(), StorageError> {
        IdbStore::close(self);
        Ok(())
    }
}
