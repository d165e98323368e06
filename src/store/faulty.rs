//! [`FaultyStorage`]: wraps a backend and makes it fail on purpose.
//!
//! Crash tests and the convergence fuzzer need storage that fails at chosen moments, the
//! way real media do: a write refused (an aborted IndexedDB transaction), a full disk or
//! spent quota, a connection closed under our feet (the browser closing IndexedDB, a
//! volume unmounted), and a process killed in the middle of a write (a torn write: only
//! a prefix of the record reaches the file). Each fault is reproducible: it fires on a
//! chosen append number, so a fuzzer seed replays the same failures.
//!
//! Faults that refuse a write store nothing and leave the wrapper usable, as the
//! [contract](super::storage) says backends do; `Close` and `Torn` leave it dead
//! (`InvalidStateError`) until the store is opened again.

use std::collections::{BTreeMap, HashMap};

use super::storage::{closed_error, names, Loaded, SimulateCrash, Storage};
use crate::core::error::StorageError;

/// A failure to inject into one append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The append fails with this DOMException name (e.g. `"AbortError"`); nothing is stored.
    Fail(&'static str),
    /// The backend is closed before the write: this append and every later call fail
    /// with `InvalidStateError`.
    Close,
    /// The process "crashes" in the middle of the write: at most `keep` bytes of the
    /// backend's record reach the medium, then the handle is dead (see
    /// [`SimulateCrash`]). Reopening the store must show the state before this append.
    Torn { keep: usize },
}

/// A backend wrapper that injects [`Fault`]s and enforces a byte budget.
#[derive(Debug)]
pub struct FaultyStorage<S> {
    inner: S,
    /// Faults by 1-based append number (counting every append call, failed ones too).
    planned: BTreeMap<u64, Fault>,
    appends: u64,
    fired: u64,
    quota: Option<u64>,
    /// Bytes stored, as far as this wrapper has seen (loaded plus written).
    used: u64,
    named: HashMap<(bool, String), u64>,
    dead: bool,
}

impl<S> FaultyStorage<S> {
    /// Wraps `inner`; no fault is planned and there is no budget.
    pub fn new(inner: S) -> Self {
        FaultyStorage {
            inner,
            planned: BTreeMap::new(),
            appends: 0,
            fired: 0,
            quota: None,
            used: 0,
            named: HashMap::new(),
            dead: false,
        }
    }

    /// Plans `fault` for the `n`-th append call from now on (1 = the next one).
    pub fn fail_append(&mut self, n: u64, fault: Fault) -> &mut Self {
        self.planned.insert(self.appends + n.max(1), fault);
        self
    }

    /// Every write that would take the stored bytes (batches, plus name and value of the
    /// current snapshots and meta) above `bytes` fails with `QuotaExceededError`.
    /// `None` removes the budget. Bytes already stored count once [`load`](Storage::load)
    /// has run.
    pub fn set_quota(&mut self, bytes: Option<u64>) -> &mut Self {
        self.quota = bytes;
        self
    }

    /// Append calls made so far.
    pub fn appends(&self) -> u64 {
        self.appends
    }

    /// Faults that have fired so far (quota refusals included).
    pub fn faults_fired(&self) -> u64 {
        self.fired
    }

    /// Bytes stored as far as the budget counts them.
    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    pub fn into_inner(self) -> S {
        self.inner
    }

    fn live(&self) -> Result<(), StorageError> {
        if self.dead {
            Err(closed_error())
        } else {
            Ok(())
        }
    }

    /// Refuses a write of `grow` more bytes (replacing `shrink`) if it breaks the budget.
    fn budget(&mut self, grow: u64, shrink: u64) -> Result<(), StorageError> {
        let after = self.used.saturating_sub(shrink).saturating_add(grow);
        match self.quota {
            Some(q) if after > q => {
                self.fired += 1;
                Err(StorageError::new(
                    names::QUOTA_EXCEEDED,
                    format!("the write needs {after} bytes stored, the budget is {q}"),
                ))
            }
            _ => Ok(()),
        }
    }

    async fn put_named(&mut self, is_meta: bool, name: &str, value: &[u8]) -> Result<(), StorageError>
    where
        S: Storage,
    {
        self.live()?;
        let size = (name.len() + value.len()) as u64;
        let old = self.named.get(&(is_meta, name.to_owned())).copied().unwrap_or(0);
        self.budget(size, old)?;
        if is_meta {
            self.inner.put_meta(name, value).await?;
        } else {
            self.inner.put_snapshot(name, value).await?;
        }
        self.used = self.used - old + size;
        self.named.insert((is_meta, name.to_owned()), size);
        Ok(())
    }
}

impl<S: SimulateCrash> Storage for FaultyStorage<S> {
    async fn load(&mut self) -> Result<Loaded, StorageError> {
        self.live()?;
        let loaded = self.inner.load().await?;
        self.named.clear();
        let mut used = loaded.batches.iter().map(|b| b.len() as u64).sum::<u64>();
        for (is_meta, name, value) in
            loaded.snapshots.iter().map(|(n, v)| (false, n, v)).chain(loaded.meta.iter().map(|(n, v)| (true, n, v)))
        {
            let size = (name.len() + value.len()) as u64;
            used += size;
            self.named.insert((is_meta, name.clone()), size);
        }
        self.used = used;
        Ok(loaded)
    }

    async fn append(&mut self, batch: &[u8]) -> Result<(), StorageError> {
        self.live()?;
        self.appends += 1;
        if let Some(fault) = self.planned.remove(&self.appends) {
            self.fired += 1;
            match fault {
                Fault::Fail(name) => {
                    return Err(StorageError::new(name, format!("injected fault on append {}", self.appends)))
                }
                Fault::Close => {
                    self.dead = true;
                    // The close itself may fail; the handle is dead either way.
                    let _ = self.inner.close().await;
                    return Err(StorageError::new(names::INVALID_STATE, "injected: the storage was closed"));
                }
                Fault::Torn { keep } => {
                    self.dead = true;
                    self.inner.crash_during_append(batch, keep);
                    return Err(StorageError::new(names::INVALID_STATE, "injected: crash in the middle of a write"));
                }
            }
        }
        self.budget(batch.len() as u64, 0)?;
        self.inner.append(batch).await?;
        self.used += batch.len() as u64;
        Ok(())
    }

    async fn put_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.put_named(false, name, bytes).await
    }

    async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        self.put_named(true, key, value).await
    }

    async fn close(&mut self) -> Result<(), StorageError> {
        self.dead = true;
        self.inner.close().await
    }
}

impl<S: SimulateCrash> SimulateCrash for FaultyStorage<S> {
    fn crash_during_append(&mut self, batch: &[u8], keep: usize) {
        self.dead = true;
        self.inner.crash_during_append(batch, keep);
    }
}
