//! LEB128 varints, zigzag signed deltas, and a bounds-checked reader.
//!
//! Every length or count the [`Reader`] hands out has been checked against the bytes that
//! remain, so a decoder built on it never allocates more than its input can justify and
//! never indexes out of bounds: malformed input ends in a [`DecodeError`], not a panic.

use crate::core::error::DecodeError;

/// Appends `v` as an unsigned LEB128 varint (1 byte below 128, at most 10 bytes).
#[inline]
pub fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Maps a signed value to an unsigned one so that small magnitudes stay small.
#[inline]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// `cur - prev` as a zigzag varint; wrapping, so any pair of `u64` round-trips.
#[inline]
pub fn put_delta(out: &mut Vec<u8>, prev: u64, cur: u64) {
    put_u64(out, zigzag(cur.wrapping_sub(prev) as i64));
}

/// A cursor over input bytes. Positions in errors are offsets into the whole input
/// (`base` is where this reader's slice starts).
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0, base: 0 }
    }

    /// A reader whose error offsets are shifted by `base` (for an inflated chunk body, the
    /// offset of the chunk in the message).
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// Offset in the whole input.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn truncated(&self) -> DecodeError {
        DecodeError::Truncated(self.base + self.buf.len())
    }

    pub fn malformed(&self, what: &'static str) -> DecodeError {
        DecodeError::Malformed { what, at: self.offset() }
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self.buf.get(self.pos).ok_or_else(|| self.truncated())?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 varint; rejects encodings longer than 10 bytes or overflowing.
    #[inline]
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        // Most varints of a chunk (indices, deltas, lengths) are one byte.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.u64_long()
    }

    fn u64_long(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let at = self.offset();
            let b = self.u8()?;
            if shift == 63 && b > 1 {
                return Err(DecodeError::Malformed { what: "varint", at });
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// `prev + delta` for a zigzag delta written by [`put_delta`].
    #[inline]
    pub fn delta(&mut self, prev: u64) -> Result<u64, DecodeError> {
        Ok(prev.wrapping_add(unzigzag(self.u64()?) as u64))
    }

    /// A count of items that each take at least `min_bytes` bytes of the rest of the input;
    /// rejects counts the remaining bytes cannot hold, so callers may size buffers by it.
    pub fn count(&mut self, min_bytes: usize, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.u64()?;
        let limit = self.remaining() / min_bytes.max(1);
        if n > limit as u64 {
            return Err(self.malformed(what));
        }
        Ok(n as usize)
    }

    /// An index below `len`.
    #[inline]
    pub fn index(&mut self, len: usize, what: &'static str) -> Result<usize, DecodeError> {
        let at = self.offset();
        let i = self.u64()?;
        if i >= len as u64 {
            return Err(DecodeError::Malformed { what, at });
        }
        Ok(i as usize)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u64()?;
        if n > self.remaining() as u64 {
            return Err(self.truncated());
        }
        self.take(n as usize)
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let at = self.offset();
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| DecodeError::Malformed { what, at })
    }

    /// Bytes `from..to` of this reader's slice (positions from [`pos`](Self::pos)).
    pub fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.buf.get(from..to).unwrap_or(&[])
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_the_edges() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            put_u64(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.u64().unwrap(), v);
            assert!(r.is_empty());
        }
        let mut out = Vec::new();
        put_u64(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }

    #[test]
    fn zigzag_deltas_wrap() {
        for (a, b) in [(0u64, 0u64), (5, 3), (3, 5), (0, u64::MAX), (u64::MAX, 0), (1 << 63, 1)] {
            let mut out = Vec::new();
            put_delta(&mut out, a, b);
            assert_eq!(Reader::new(&out).delta(a).unwrap(), b);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn overlong_and_truncated_varints_are_errors() {
        let too_long = [0xff; 11];
        assert!(matches!(Reader::new(&too_long).u64(), Err(DecodeError::Malformed { .. })));
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Reader::new(&overflow).u64().is_err());
        assert_eq!(Reader::new(&[0x80]).u64(), Err(DecodeError::Truncated(1)));
    }

    #[test]
    fn counts_are_bounded_by_the_remaining_bytes() {
        let mut r = Reader::new(&[0x05, 1, 2, 3]);
        assert!(r.count(1, "n").is_err());
        let mut r = Reader::new(&[0x03, 1, 2, 3]);
        assert_eq!(r.count(1, "n").unwrap(), 3);
        assert!(Reader::new(&[0x02, 0xff]).bytes().is_err());
    }
}
