//! FileStorage specifics: torn tails, damage, versions, locking, compaction, golden bytes.

mod common;

use std::fs;
use std::path::Path;

use common::TempDir;
use everlog::store::file::{FILE_VERSION, HEADER_LEN, RECORD_HEADER_LEN};
use everlog::store::{block_on, names, FileOptions, FileStorage, SimulateCrash, Storage};
use everlog::StorageError;

fn relaxed() -> FileOptions {
    FileOptions::relaxed()
}

fn open(dir: &Path) -> FileStorage {
    FileStorage::open(dir, relaxed()).expect("open")
}

fn batches(s: &mut FileStorage) -> Vec<Vec<u8>> {
    block_on(s.load()).expect("load").batches
}

fn log_file(dir: &Path) -> std::path::PathBuf {
    dir.join("log.evl")
}

fn open_err(dir: &Path, opts: FileOptions) -> StorageError {
    FileStorage::open(dir, opts).expect_err("open must fail")
}

#[test]
fn golden_bytes_of_a_small_file() {
    let t = TempDir::new("golden");
    let mut s = open(t.path());
    block_on(s.put_meta("k", b"v")).unwrap();
    block_on(s.append(b"abc")).unwrap();
    block_on(s.close()).unwrap();
    let want: Vec<u8> = [
        &b"EVLF\x01\0\0\0"[..],
        // meta record: magic, len 6, crc, kind 3, key_len 1, "k", "v"
        &[0xE7, 6, 0, 0, 0],
        &crc(&[&[6, 0, 0, 0], &[3], &[1, 0, 0, 0], b"k", b"v"]).to_le_bytes(),
        &[3, 1, 0, 0, 0],
        b"kv",
        // batch record: magic, len 3, crc, kind 1, "abc"
        &[0xE7, 3, 0, 0, 0],
        &crc(&[&[3, 0, 0, 0], &[1], b"abc"]).to_le_bytes(),
        &[1],
        b"abc",
    ]
    .concat();
    assert_eq!(fs::read(log_file(t.path())).unwrap(), want);
}

/// CRC-32 (IEEE) written out bit by bit, independent of the implementation under test.
fn crc(parts: &[&[u8]]) -> u32 {
    let mut c = !0u32;
    for b in parts.iter().flat_map(|p| p.iter()) {
        c ^= *b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn torn_last_record_at_every_byte_offset_recovers_to_the_previous_batch() {
    let t = TempDir::new("torn");
    let first = b"the first batch".to_vec();
    let last: Vec<u8> = (0..150u8).map(|i| i.wrapping_mul(37) ^ 0xE7).collect();
    let record_len = RECORD_HEADER_LEN + last.len();
    for keep in 0..record_len {
        let dir = t.sub(&format!("k{keep}"));
        let mut s = open(&dir);
        block_on(s.append(&first)).unwrap();
        let good_len = s.file_len();
        s.crash_during_append(&last, keep);
        assert_eq!(block_on(s.append(b"x")).unwrap_err().name, names::INVALID_STATE, "a crashed handle is dead");
        drop(s);
        assert_eq!(fs::metadata(log_file(&dir)).unwrap().len(), good_len + keep as u64);

        let mut s = open(&dir);
        assert_eq!(batches(&mut s), vec![first.clone()], "cut after {keep} bytes");
        assert_eq!(s.recovery().truncated_bytes, keep as u64);
        assert_eq!(s.file_len(), good_len);
        block_on(s.append(b"after")).unwrap();
        block_on(s.close()).unwrap();
        let mut s = open(&dir);
        assert_eq!(batches(&mut s), vec![first.clone(), b"after".to_vec()]);
        assert_eq!(s.recovery().truncated_bytes, 0);
        drop(s);
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_complete_record_written_before_the_crash_may_survive() {
    let t = TempDir::new("whole");
    let mut s = open(t.path());
    block_on(s.append(b"one")).unwrap();
    s.crash_during_append(b"two", usize::MAX);
    let mut s = open(t.path());
    assert_eq!(batches(&mut s), vec![b"one".to_vec(), b"two".to_vec()], "all, never part");
}

#[test]
fn a_zero_filled_tail_is_torn() {
    let t = TempDir::new("zeros");
    let mut s = open(t.path());
    block_on(s.append(b"one")).unwrap();
    block_on(s.close()).unwrap();
    let mut bytes = fs::read(log_file(t.path())).unwrap();
    let len = bytes.len();
    bytes.resize(len + 4096, 0);
    fs::write(log_file(t.path()), &bytes).unwrap();
    let mut s = open(t.path());
    assert_eq!(batches(&mut s), vec![b"one".to_vec()]);
    assert_eq!(s.recovery().truncated_bytes, 4096);
    assert_eq!(fs::metadata(log_file(t.path())).unwrap().len(), len as u64);
}

fn three_records(dir: &Path) -> (Vec<u8>, [usize; 3]) {
    let mut s = open(dir);
    let mut starts = [0; 3];
    for (i, b) in [&b"aaaa"[..], b"bbbb", b"cccc"].iter().enumerate() {
        starts[i] = s.file_len() as usize;
        block_on(s.append(b)).unwrap();
    }
    block_on(s.close()).unwrap();
    (fs::read(log_file(dir)).unwrap(), starts)
}

#[test]
fn damage_in_the_middle_is_refused_untouched_or_repaired_on_request() {
    let t = TempDir::new("damage");
    let (mut bytes, starts) = three_records(t.path());
    bytes[starts[1] + RECORD_HEADER_LEN] ^= 0x01; // a payload bit of the second record
    fs::write(log_file(t.path()), &bytes).unwrap();

    let e = open_err(t.path(), relaxed());
    assert_eq!(e.name, names::DATA, "{e}");
    assert_eq!(fs::read(log_file(t.path())).unwrap(), bytes, "a refused file is left as it was");

    let mut s = FileStorage::open(t.path(), FileOptions { repair: true, ..relaxed() }).unwrap();
    assert_eq!(batches(&mut s), vec![b"aaaa".to_vec()]);
    assert_eq!(s.recovery().truncated_bytes, (bytes.len() - starts[1]) as u64);
}

#[test]
fn a_damaged_length_is_not_mistaken_for_a_torn_tail() {
    let t = TempDir::new("len");
    let (mut bytes, starts) = three_records(t.path());
    bytes[starts[1] + 4] = 0x7f; // the second record now claims ~2 GB: "runs past the end"
    fs::write(log_file(t.path()), &bytes).unwrap();
    assert_eq!(open_err(t.path(), relaxed()).name, names::DATA);
}

#[test]
fn a_newer_format_version_is_refused_with_a_version_error() {
    let t = TempDir::new("version");
    let (mut bytes, _) = three_records(t.path());
    bytes[4] = FILE_VERSION + 1;
    fs::write(log_file(t.path()), &bytes).unwrap();
    let e = open_err(t.path(), relaxed());
    assert_eq!(e.name, names::VERSION, "{e}");
    assert_eq!(fs::read(log_file(t.path())).unwrap(), bytes, "a refused file is left as it was");
}

#[test]
fn a_file_that_is_not_a_log_is_refused() {
    let t = TempDir::new("magic");
    fs::write(log_file(t.path()), b"SQLite format 3\0").unwrap();
    assert_eq!(open_err(t.path(), relaxed()).name, names::DATA);
}

#[test]
fn a_creation_cut_short_opens_empty() {
    let t = TempDir::new("short");
    fs::write(log_file(t.path()), b"EVL").unwrap();
    fs::write(t.path().join("log.evl.tmp"), b"half a compaction").unwrap();
    let mut s = open(t.path());
    assert!(batches(&mut s).is_empty());
    assert!(!t.path().join("log.evl.tmp").exists(), "a leftover temp file is removed");
    block_on(s.append(b"x")).unwrap();
    assert_eq!(s.file_len() as usize, HEADER_LEN + RECORD_HEADER_LEN + 1);
}

#[test]
fn one_handle_at_a_time() {
    let t = TempDir::new("lock");
    let mut a = open(t.path());
    assert_eq!(open_err(t.path(), relaxed()).name, names::NO_MODIFICATION);
    block_on(a.close()).unwrap();
    let _b = open(t.path());
}

#[test]
fn superseded_snapshots_are_compacted_away() {
    let t = TempDir::new("compact");
    let opts = FileOptions { compact_after: 10_000, ..relaxed() };
    let mut s = FileStorage::open(t.path(), opts.clone()).unwrap();
    block_on(s.append(b"batch one")).unwrap();
    let big = vec![7u8; 5_000];
    for i in 0..50u32 {
        block_on(s.put_snapshot("view", &[&big[..], &i.to_le_bytes()].concat())).unwrap();
        block_on(s.put_meta("cursor", &i.to_le_bytes())).unwrap();
        if i == 25 {
            block_on(s.append(b"batch two")).unwrap();
        }
    }
    assert!(s.file_len() < 30_000, "compaction keeps the file small, it is {}", s.file_len());
    let want = block_on(s.load()).unwrap();
    assert_eq!(want.batches, vec![b"batch one".to_vec(), b"batch two".to_vec()]);
    assert_eq!(want.snapshots, vec![("view".to_string(), [&big[..], &49u32.to_le_bytes()].concat())]);
    assert_eq!(want.meta.get("cursor"), Some(&49u32.to_le_bytes().to_vec()));
    block_on(s.append(b"batch three")).unwrap();
    block_on(s.close()).unwrap();
    let mut s = FileStorage::open(t.path(), opts).unwrap();
    let got = block_on(s.load()).unwrap();
    assert_eq!(got.batches.len(), 3);
    assert_eq!((got.snapshots, got.meta), (want.snapshots, want.meta));
}

/// Deterministic pseudo-random bytes (xorshift), so failures replay.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn damaged_files_never_panic_and_never_load_a_bad_record() {
    let t = TempDir::new("noise");
    let (good, _) = three_records(&t.sub("src"));
    for seed in 0..300u64 {
        let dir = t.sub(&format!("n{seed}"));
        fs::create_dir_all(&dir).unwrap();
        let mut bytes = good.clone();
        match seed % 3 {
            // Flip a few bytes anywhere after the header.
            0 => {
                for (i, b) in noise(seed, 3).into_iter().enumerate() {
                    let at = HEADER_LEN + (noise(seed + i as u64, 1)[0] as usize) % (bytes.len() - HEADER_LEN);
                    bytes[at] ^= b | 1;
                }
            }
            // Random bytes after the valid records.
            1 => bytes.extend(noise(seed, 1 + seed as usize % 64)),
            // A random cut.
            _ => bytes.truncate(HEADER_LEN + seed as usize % (bytes.len() - HEADER_LEN)),
        }
        fs::write(log_file(&dir), &bytes).unwrap();
        match FileStorage::open(&dir, relaxed()) {
            Ok(mut s) => {
                let got = batches(&mut s);
                let want = [&b"aaaa"[..], b"bbbb", b"cccc"];
                assert!(got.len() <= 3 && got.iter().zip(want).all(|(g, w)| g == w), "seed {seed}: {got:?}");
            }
            Err(e) => assert!([names::DATA, names::VERSION].contains(&e.name.as_str()), "seed {seed}: {e}"),
        }
    }
}
