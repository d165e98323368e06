//! Per-chunk deflate (raw DEFLATE, RFC 1951, via `miniz_oxide`) where it pays, and the
//! CRC-32 that guards each chunk frame.
//!
//! Compression is per chunk so that a cut message still inflates every complete chunk.
//! A chunk is stored deflated only when that saves at least 1/16 of its size: tiny
//! chunks (one local append) and incompressible payloads stay raw and cost nothing to read.
//!
//! Inflating is bounded: the frame declares the raw length, which must be at most
//! [`MAX_CHUNK_RAW`] and at most what deflate can possibly expand the stored bytes to, and
//! the output must be exactly that long. A "deflate bomb" cannot make the decoder allocate
//! more than about a thousand times its input.
//!
//! Which builds link a deflate *compressor*: native ones, every test build, and the
//! documents browser entry (`everlog/docs`, wasm32 with `documents`). The core browser
//! entries (`everlog`, `everlog/toolkit`) link none: they write every chunk raw and leave
//! compression of what crosses the network to the relay, which keeps ~26 KB of code out
//! of the package (docs/size.md). The documents entry has no size budget, and documents
//! are many small, similar changes (raw, 12–15× Automerge's bytes stored and synced): it
//! deflates with the same code as native builds, so it writes the same canonical bytes.
//! (automerge's own deflate, flate2's zlib-rs backend, is not in that wasm build, since
//! everlog never calls `save()` there, and measured 7.4 KB gzipped more; docs/codec.md.)
//! Every build inflates, and any inflater reads any deflate: a core-only peer reads what a
//! documents peer wrote. Keep this text 11 lines: line numbers are in the core entry.

#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
use std::cell::RefCell;
use std::sync::OnceLock;

#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
use miniz_oxide::deflate::compress_to_vec;
#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
use miniz_oxide::DataFormat;

use crate::core::error::DecodeError;

/// Largest raw (inflated) chunk body a decoder accepts.
pub const MAX_CHUNK_RAW: usize = 256 << 20;

/// DEFLATE cannot expand input by more than ~1032:1; a little slack for tiny inputs.
const MAX_RATIO: usize = 1100;

/// Deflate level used by the encoders (0–10 in `miniz_oxide`). Level 4 is the knee on a
/// realistic mix (benches/codec.rs): 2% larger than level 6 at 57% of its CPU time.
pub const LEVEL: u8 = 4;

/// Compresses `raw` when that pays; `None` means "store it raw".
pub fn deflate_if_it_pays(raw: &[u8], level: u8) -> Option<Vec<u8>> {
    if raw.len() < 64 || level == 0 {
        return None;
    }
    let packed = compressor(raw, level)?;
    (packed.len() + raw.len() / 16 < raw.len()).then_some(packed)
}

#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
thread_local! {
    /// One compressor per thread, reset between chunks: a fresh one allocates and zeroes
    /// about 300 KB of tables, which cost more than compressing a 1,000-event batch at
    /// level 1. `reset` zeroes the same tables, so the output is exactly what a fresh
    /// compressor writes (the canonical log encoding depends on that).
    static COMPRESSOR: RefCell<Option<Box<CompressorOxide>>> = const { RefCell::new(None) };
}

/// Raw DEFLATE of `raw` at `level` (0–10); same bytes as `miniz_oxide::deflate::compress_to_vec`.
#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
fn deflate(raw: &[u8], level: u8) -> Vec<u8> {
    COMPRESSOR.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return compress_to_vec(raw, level);
        };
        let flags = create_comp_flags_from_zip_params(level.into(), 0, 0);
        let c = slot.get_or_insert_with(|| Box::new(CompressorOxide::new(flags)));
        c.reset();
        c.set_format_and_level(DataFormat::Raw, level);
        let mut out = vec![0u8; (raw.len() / 2).max(64)];
        let (mut input, mut pos) = (raw, 0);
        loop {
            let (status, used, written) = compress(c, input, &mut out[pos..], TDEFLFlush::Finish);
            pos += written;
            input = &input[used..];
            match status {
                TDEFLStatus::Done => {
                    out.truncate(pos);
                    return out;
                }
                TDEFLStatus::Okay => {
                    let grow = out.len().max(64);
                    out.resize(out.len() + grow, 0);
                }
                // Cannot happen with valid parameters; fall back to the one-shot path.
                _ => return compress_to_vec(raw, level),
            }
        }
    })
}

/// Inflates a chunk body that must come out exactly `raw_len` bytes long.
pub fn inflate_exact(stored: &[u8], raw_len: usize) -> Result<Vec<u8>, DecodeError> {
    if raw_len > MAX_CHUNK_RAW || raw_len > stored.len().saturating_mul(MAX_RATIO).saturating_add(64) {
        return Err(DecodeError::Limit("chunk raw length"));
    }
    // Inflate straight into a buffer of the declared size: no regrowth, no copies.
    let mut out = vec![0u8; raw_len];
    let mut state = Box::<DecompressorOxide>::default();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, read, written) = decompress(&mut state, stored, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if written == raw_len && read == stored.len() => Ok(out),
        TINFLStatus::Done => Err(DecodeError::Decompress(format!(
            "inflated {written} bytes from {read} of {}, the frame says {raw_len}",
            stored.len()
        ))),
        TINFLStatus::HasMoreOutput => Err(DecodeError::Decompress(format!("more than the {raw_len} bytes declared"))),
        // The status code, not its Debug name: names would add a Debug impl to the wasm package.
        other => Err(DecodeError::Decompress(format!("corrupt deflate data (miniz status {})", other as i32))),
    }
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Slicing-by-8 tables: `t[k][b]` advances the CRC of byte `b` over `k` more zero bytes.
/// Built on first use (8 KB) instead of stored in the binary (the package's size budget).
fn crc_tables() -> &'static [[u32; 256]; 8] {
    static TABLES: OnceLock<Box<[[u32; 256]; 8]>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Box::new([[0u32; 256]; 8]);
        t[0] = CRC_TABLE;
        for i in 0..256 {
            for k in 1..8 {
                let prev = t[k - 1][i];
                t[k][i] = (prev >> 8) ^ CRC_TABLE[(prev & 0xff) as usize];
            }
        }
        t
    })
}

/// CRC-32 (IEEE 802.3, the one zlib and PNG use), eight bytes per step: the byte-wise
/// loop was the largest single cost of a cold open and of a merge in the browser
/// (every stored batch and sync message is checked).
pub fn crc32(data: &[u8]) -> u32 {
    let t = crc_tables();
    let mut c = !0u32;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let lo = c ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        c = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in words.remainder() {
        c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Does `data` have checksum `crc`? Fuzzing builds (`--cfg fuzzing`, set by cargo-fuzz)
/// accept any checksum, so the fuzzer explores the decoders behind it instead of stopping
/// at the checksum of almost every mutated input.
#[inline]
pub fn crc_matches(crc: u32, data: &[u8]) -> bool {
    cfg!(fuzzing) || crc32(data) == crc
}

/// The compressor of this build (module docs).
#[cfg(any(not(target_arch = "wasm32"), test, feature = "documents"))]
fn compressor(raw: &[u8], level: u8) -> Option<Vec<u8>> {
    Some(deflate(raw, level))
}

/// The core browser entries link no compressor (module docs): every chunk is stored raw.
#[cfg(all(target_arch = "wasm32", not(test), not(feature = "documents")))]
fn compressor(_raw: &[u8], _level: u8) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn crc32_by_eight_bytes_matches_the_bytewise_definition() {
        let bytewise = |data: &[u8]| {
            let mut c = !0u32;
            for &b in data {
                c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
            }
            !c
        };
        let data: Vec<u8> = (0..300u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for start in 0..9 {
            for end in (start..data.len()).step_by(7) {
                assert_eq!(crc32(&data[start..end]), bytewise(&data[start..end]), "{start}..{end}");
            }
        }
    }

    #[test]
    fn compresses_only_when_it_pays() {
        assert!(deflate_if_it_pays(b"short", LEVEL).is_none());
        let repetitive = b"{\"sku\":\"sock\",\"qty\":2}".repeat(20);
        let packed = deflate_if_it_pays(&repetitive, LEVEL).expect("repetitive JSON compresses");
        assert_eq!(inflate_exact(&packed, repetitive.len()).unwrap(), repetitive);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        assert!(deflate_if_it_pays(&noise, LEVEL).is_none());
    }

    #[test]
    fn the_reused_compressor_writes_what_a_fresh_one_writes() {
        let inputs: Vec<Vec<u8>> = vec![
            b"{\"sku\":\"sock\",\"qty\":2}".repeat(300),
            (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect(),
            b"abc".repeat(40),
        ];
        for round in 0..2 {
            for level in [1u8, 6, 9, 1, 10] {
                for raw in &inputs {
                    assert_eq!(deflate(raw, level), compress_to_vec(raw, level), "round {round} level {level}");
                }
            }
        }
    }

    #[test]
    fn inflate_refuses_wrong_lengths_and_bombs() {
        let data = vec![b'a'; 10_000];
        let packed = deflate_if_it_pays(&data, LEVEL).unwrap();
        assert!(inflate_exact(&packed, 9_999).is_err());
        assert!(inflate_exact(&packed, 10_001).is_err());
        assert_eq!(inflate_exact(&[0x03, 0x00], usize::MAX), Err(DecodeError::Limit("chunk raw length")));
        assert!(inflate_exact(&[0xff, 0xff, 0xff], 10).is_err());
    }
}
