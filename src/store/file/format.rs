//! The bytes of a log file: header, records, and the scan that finds where the valid
//! records end. Pure functions over byte slices; [`super::FileStorage`] does the I/O.
//!
//! See the [module docs](super) for the byte diagram.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::core::error::StorageError;
use crate::store::storage::{names, Loaded};

/// First four bytes of a log file.
pub const FILE_MAGIC: [u8; 4] = *b"EVLF";
/// The file format version this build writes and the newest it reads.
pub const FILE_VERSION: u8 = 1;
/// Bytes of the file header: magic, version, three reserved zero bytes.
pub const HEADER_LEN: usize = 8;
/// First byte of every record.
pub const RECORD_MAGIC: u8 = 0xE7;
/// Bytes of a record header: magic, length, CRC, kind.
pub const RECORD_HEADER_LEN: usize = 10;

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// An encoded event batch.
    Batch = 1,
    /// A named snapshot: `name_len u32 LE | name | bytes`.
    Snapshot = 2,
    /// A meta value: `key_len u32 LE | key | value`.
    Meta = 3,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        match b {
            1 => Some(Kind::Batch),
            2 => Some(Kind::Snapshot),
            3 => Some(Kind::Meta),
            _ => None,
        }
    }
}

/// The file header this build writes.
pub fn file_header() -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(&FILE_MAGIC);
    h[4] = FILE_VERSION;
    h
}

/// Checks a file's header. `Ok(false)` when the file is shorter than a header but is a
/// prefix of one (a creation cut short: the file holds nothing yet).
pub fn check_header(bytes: &[u8]) -> Result<bool, StorageError> {
    let ours = file_header();
    let n = bytes.len().min(HEADER_LEN);
    if bytes[..n.min(4)] != FILE_MAGIC[..n.min(4)] {
        return Err(StorageError::new(names::DATA, "not an everlog log file (bad magic)"));
    }
    if n < HEADER_LEN {
        return if bytes[..n] == ours[..n] {
            Ok(false)
        } else {
            Err(StorageError::new(names::DATA, "the log file header is damaged"))
        };
    }
    match bytes[4] {
        FILE_VERSION if bytes[5..8] == [0, 0, 0] => Ok(true),
        FILE_VERSION => Err(StorageError::new(names::DATA, "the log file header is damaged (reserved bytes)")),
        v if v > FILE_VERSION => Err(StorageError::new(
            names::VERSION,
            format!("the log file has format version {v}; this build reads up to {FILE_VERSION}"),
        )),
        v => Err(StorageError::new(names::DATA, format!("the log file has an unknown format version {v}"))),
    }
}

/// Appends one record (`parts` concatenated form the payload) to `out`.
pub fn encode_record(kind: Kind, parts: &[&[u8]], out: &mut Vec<u8>) -> Result<(), StorageError> {
    let len = parts.iter().map(|p| p.len()).sum::<usize>();
    let len = u32::try_from(len)
        .map_err(|_| StorageError::new(names::DATA, format!("a record of {len} bytes exceeds the 4 GiB limit")))?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len.to_le_bytes());
    crc.update(&[kind as u8]);
    for p in parts {
        crc.update(p);
    }
    out.reserve(RECORD_HEADER_LEN + len as usize);
    out.push(RECORD_MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.push(kind as u8);
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(())
}

/// Appends a snapshot or meta record for `name` = `value`.
pub fn encode_named(kind: Kind, name: &str, value: &[u8], out: &mut Vec<u8>) -> Result<(), StorageError> {
    let name_len = u32::try_from(name.len()).map_err(|_| StorageError::new(names::DATA, "name too long"))?;
    encode_record(kind, &[&name_len.to_le_bytes(), name.as_bytes(), value], out)
}

/// One valid record found by [`scan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    /// Where the record starts and ends in the file.
    pub span: Range<usize>,
    /// Where its payload is.
    pub payload: Range<usize>,
}

/// How the valid records end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tail {
    /// The file ends right after the last valid record.
    Clean,
    /// The bytes from `at` on are an incomplete or unreadable last write (a torn tail):
    /// no valid record follows them. Truncating there loses nothing acknowledged under
    /// strict durability.
    Torn { at: usize },
    /// A bad record at `at` is followed by valid ones: damage, not a torn write.
    Corrupt { at: usize, why: &'static str },
}

/// Why the record at an offset cannot be read. `hard` errors have a valid checksum and so
/// are damage whatever follows them.
struct Bad {
    why: &'static str,
    hard: bool,
}

fn parse_at(bytes: &[u8], at: usize) -> Result<Record, Bad> {
    let soft = |why| Bad { why, hard: false };
    let head = bytes.get(at..at + RECORD_HEADER_LEN).ok_or(soft("truncated record header"))?;
    if head[0] != RECORD_MAGIC {
        return Err(soft("bad record magic"));
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    let stored_crc = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
    let start = at + RECORD_HEADER_LEN;
    let end = start.checked_add(len as usize).filter(|e| *e <= bytes.len()).ok_or(soft("record runs past the end"))?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&head[1..5]);
    crc.update(&head[9..10]);
    crc.update(&bytes[start..end]);
    if crc.finalize() != stored_crc {
        return Err(soft("record checksum mismatch"));
    }
    let kind = Kind::from_u8(head[9]).ok_or(Bad { why: "unknown record kind", hard: true })?;
    if kind != Kind::Batch {
        split_named(&bytes[start..end]).ok_or(Bad { why: "malformed name in a record", hard: true })?;
    }
    Ok(Record { kind, span: at..end, payload: start..end })
}

/// Splits a snapshot or meta payload into its name and value.
pub fn split_named(payload: &[u8]) -> Option<(&str, &[u8])> {
    let n = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    let name = payload.get(4..4usize.checked_add(n)?)?;
    Some((std::str::from_utf8(name).ok()?, &payload[4 + n..]))
}

/// Reads every valid record after the header, and says how the file ends.
pub fn scan(bytes: &[u8]) -> (Vec<Record>, Tail) {
    let mut records = Vec::new();
    let mut at = HEADER_LEN.min(bytes.len());
    while at < bytes.len() {
        match parse_at(bytes, at) {
            Ok(r) => {
                at = r.span.end;
                records.push(r);
            }
            Err(bad) if bad.hard => return (records, Tail::Corrupt { at, why: bad.why }),
            Err(bad) => {
                // Torn only if nothing valid comes after: a torn write is always the last.
                let resyncs = (at + 1..bytes.len()).any(|p| bytes[p] == RECORD_MAGIC && parse_at(bytes, p).is_ok());
                return (records, if resyncs { Tail::Corrupt { at, why: bad.why } } else { Tail::Torn { at } });
            }
        }
    }
    (records, Tail::Clean)
}

/// Builds what [`Storage::load`](crate::store::Storage::load) returns from scanned records.
pub fn collect(bytes: &[u8], records: &[Record]) -> Loaded {
    let mut batches = Vec::new();
    let mut snapshots = BTreeMap::new();
    let mut meta = BTreeMap::new();
    for r in records {
        let payload = &bytes[r.payload.clone()];
        match r.kind {
            Kind::Batch => batches.push(payload.to_vec()),
            // `scan` only returns named records whose name splits.
            Kind::Snapshot | Kind::Meta => {
                if let Some((name, value)) = split_named(payload) {
                    let map = if r.kind == Kind::Meta { &mut meta } else { &mut snapshots };
                    map.insert(name.to_owned(), value.to_vec());
                }
            }
        }
    }
    Loaded { batches, snapshots: snapshots.into_iter().collect(), meta }
}
