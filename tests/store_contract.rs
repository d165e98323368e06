//! Every storage backend against the one shared contract suite (`everlog::store::contract`).

use everlog::store::contract::{self, Harness};
use everlog::store::{block_on, MemoryStorage};

#[derive(Default)]
struct Memory {
    last: MemoryStorage,
}

impl Harness for Memory {
    type S = MemoryStorage;
    async fn fresh(&mut self) -> MemoryStorage {
        self.last = MemoryStorage::new();
        self.last.reopen()
    }
    async fn reopen(&mut self) -> MemoryStorage {
        self.last.reopen()
    }
}

#[test]
fn memory_storage_keeps_the_contract() {
    block_on(contract::run_all(&mut Memory::default()));
}

/// A backend that breaks rule 4 (order): the suite must notice.
struct Reversing(MemoryStorage);

impl everlog::store::Storage for Reversing {
    async fn load(&mut self) -> Result<everlog::store::Loaded, everlog::StorageError> {
        let mut l = self.0.load().await?;
        l.batches.reverse();
        Ok(l)
    }
    async fn append(&mut self, batch: &[u8]) -> Result<(), everlog::StorageError> {
        self.0.append(batch).await
    }
    async fn put_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<(), everlog::StorageError> {
        self.0.put_snapshot(name, bytes).await
    }
    async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), everlog::StorageError> {
        self.0.put_meta(key, value).await
    }
    async fn close(&mut self) -> Result<(), everlog::StorageError> {
        self.0.close().await
    }
}

struct BrokenHarness(Memory);

impl Harness for BrokenHarness {
    type S = Reversing;
    async fn fresh(&mut self) -> Reversing {
        Reversing(self.0.fresh().await)
    }
    async fn reopen(&mut self) -> Reversing {
        Reversing(self.0.reopen().await)
    }
}

#[test]
#[should_panic(expected = "in order")]
fn the_contract_suite_catches_a_reordering_backend() {
    block_on(contract::run_all(&mut BrokenHarness(Memory::default())));
}
