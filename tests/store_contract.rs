//! Every storage backend against the one shared contract suite (`everlog::store::contract`).

mod common;

use std::path::PathBuf;

use common::TempDir;
use everlog::store::contract::{self, Harness};
use everlog::store::{block_on, Durability, FaultyStorage, FileOptions, FileStorage, MemoryStorage};

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

struct Files {
    root: TempDir,
    opts: FileOptions,
    n: usize,
    last: PathBuf,
}

impl Files {
    fn new(durability: Durability) -> Self {
        let root = TempDir::new("contract");
        let last = root.sub("none");
        Files { root, opts: FileOptions { durability, ..FileOptions::default() }, n: 0, last }
    }
}

impl Harness for Files {
    type S = FileStorage;
    async fn fresh(&mut self) -> FileStorage {
        self.n += 1;
        self.last = self.root.sub(&format!("store-{}", self.n));
        FileStorage::open(&self.last, self.opts.clone()).expect("open a new file store")
    }
    async fn reopen(&mut self) -> FileStorage {
        FileStorage::open(&self.last, self.opts.clone()).expect("reopen the file store")
    }
}

#[test]
fn file_storage_strict_keeps_the_contract() {
    block_on(contract::run_all(&mut Files::new(Durability::Strict)));
}

#[test]
fn file_storage_relaxed_keeps_the_contract() {
    block_on(contract::run_all(&mut Files::new(Durability::Relaxed)));
}

/// The fault injector with no fault planned must be a faithful pass-through.
struct Faulty<H>(H);

impl<H: Harness> Harness for Faulty<H>
where
    H::S: everlog::store::SimulateCrash,
{
    type S = FaultyStorage<H::S>;
    async fn fresh(&mut self) -> Self::S {
        FaultyStorage::new(self.0.fresh().await)
    }
    async fn reopen(&mut self) -> Self::S {
        FaultyStorage::new(self.0.reopen().await)
    }
}

#[test]
fn faulty_storage_without_faults_keeps_the_contract() {
    block_on(contract::run_all(&mut Faulty(Memory::default())));
    block_on(contract::run_all(&mut Faulty(Files::new(Durability::Strict))));
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
