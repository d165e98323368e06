//! The relay's error frame: how the relay tells a client why it refuses or drops it.
//!
//! Everything else on the WebSocket is a core sync message, carried unchanged in a binary
//! frame (magic `EVLS`). An error frame is a binary frame with its own magic, so a client
//! tells the two apart by the first four bytes. After an error frame the relay closes the
//! connection with WebSocket close code `4000 + code`, so a browser that only sees the
//! `CloseEvent` still learns the reason.
//!
//! # Layout (error frame version 1)
//!
//! ```text
//! +----+----+----+----+------+------+-----------+----------------------+
//! | 'E'| 'V'| 'L'| 'X'| 0x01 | code | len u16 BE| message, len bytes   |
//! +----+----+----+----+------+------+-----------+----------------------+
//!   code:    1 unauthorized, 2 bad room, 3 decode, 4 invalid event, 5 storage,
//!            6 protocol, 7 too large, 8 shutting down, 9 internal
//!   message: UTF-8, human-readable, at most 1024 bytes; nothing may follow it
//! ```
//!
//! A reader refuses an unknown version ([`DecodeError::UnsupportedVersion`]) and an unknown
//! code, so codes can be added only with a new version.

use std::fmt;

use crate::core::error::DecodeError;

/// Magic of an error frame.
pub const ERROR_MAGIC: [u8; 4] = *b"EVLX";
/// The error frame format version this build writes and reads.
pub const ERROR_FRAME_VERSION: u8 = 1;
/// Longest message the relay writes (longer ones are cut at a character boundary).
pub const MAX_MESSAGE: usize = 1024;

/// Why the relay refused or dropped a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No token, or a token that does not open this room. Retrying will not help.
    Unauthorized = 1,
    /// The room name is missing or not allowed. Retrying will not help.
    BadRoom = 2,
    /// A frame that is not a valid sync message.
    Decode = 3,
    /// Events that break the log's rules (bad ids, clocks, sizes…).
    InvalidEvent = 4,
    /// The relay could not make events durable; nothing was acknowledged. Retry later.
    Storage = 5,
    /// A frame the protocol does not allow here (a text frame, for example).
    Protocol = 6,
    /// A frame larger than the relay accepts.
    TooLarge = 7,
    /// The relay is shutting down. Reconnect later.
    ShuttingDown = 8,
    /// A bug or an unexpected failure in the relay. Retry later.
    Internal = 9,
}

impl ErrorCode {
    pub fn from_u8(b: u8) -> Option<Self> {
        use ErrorCode::*;
        Some(match b {
            1 => Unauthorized,
            2 => BadRoom,
            3 => Decode,
            4 => InvalidEvent,
            5 => Storage,
            6 => Protocol,
            7 => TooLarge,
            8 => ShuttingDown,
            9 => Internal,
            _ => return None,
        })
    }

    /// A stable name, the same the JavaScript client should expose.
    pub fn name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Unauthorized => "UNAUTHORIZED",
            BadRoom => "BAD_ROOM",
            Decode => "DECODE",
            InvalidEvent => "INVALID_EVENT",
            Storage => "STORAGE",
            Protocol => "PROTOCOL",
            TooLarge => "TOO_LARGE",
            ShuttingDown => "SHUTTING_DOWN",
            Internal => "INTERNAL",
        }
    }

    /// May a client reconnect after this error and expect a different outcome?
    pub fn retryable(self) -> bool {
        matches!(self, ErrorCode::Storage | ErrorCode::ShuttingDown | ErrorCode::Internal)
    }

    /// The WebSocket close code that accompanies this error.
    pub fn close_code(self) -> u16 {
        4000 + self as u16
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoded error frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorFrame {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorFrame {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        ErrorFrame { code, message }
    }

    pub fn encode(&self) -> Vec<u8> {
        let msg = self.message.as_bytes();
        let len = msg.len().min(MAX_MESSAGE);
        let mut out = Vec::with_capacity(8 + len);
        out.extend_from_slice(&ERROR_MAGIC);
        out.push(ERROR_FRAME_VERSION);
        out.push(self.code as u8);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&msg[..len]);
        out
    }

    /// Does this binary frame claim to be an error frame (its magic)?
    pub fn is_error_frame(bytes: &[u8]) -> bool {
        bytes.starts_with(&ERROR_MAGIC)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() < 4 {
            return Err(DecodeError::Truncated(bytes.len()));
        }
        if bytes[..4] != ERROR_MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = *bytes.get(4).ok_or(DecodeError::Truncated(4))?;
        if version != ERROR_FRAME_VERSION {
            return Err(DecodeError::UnsupportedVersion(version, ERROR_FRAME_VERSION));
        }
        let code = *bytes.get(5).ok_or(DecodeError::Truncated(5))?;
        let code = ErrorCode::from_u8(code).ok_or(DecodeError::Malformed { what: "error code", at: 5 })?;
        let len = bytes.get(6..8).ok_or(DecodeError::Truncated(bytes.len()))?;
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        if len > MAX_MESSAGE {
            return Err(DecodeError::Limit("error message longer than 1024 bytes"));
        }
        let msg = bytes.get(8..8 + len).ok_or(DecodeError::Truncated(bytes.len()))?;
        if bytes.len() != 8 + len {
            return Err(DecodeError::Malformed { what: "bytes after the error message", at: 8 + len });
        }
        let message =
            std::str::from_utf8(msg).map_err(|_| DecodeError::Malformed { what: "error message (UTF-8)", at: 8 })?;
        Ok(ErrorFrame { code, message: message.to_owned() })
    }
}

impl fmt::Display for ErrorFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let f = ErrorFrame::new(ErrorCode::Unauthorized, "no");
        assert_eq!(f.encode(), b"EVLX\x01\x01\x00\x02no");
        assert_eq!(ErrorFrame::decode(&f.encode()).unwrap(), f);
    }

    #[test]
    fn every_code_round_trips() {
        for b in 1..=9u8 {
            let code = ErrorCode::from_u8(b).unwrap();
            let f = ErrorFrame::new(code, "é".repeat(700));
            assert!(f.message.len() <= MAX_MESSAGE);
            assert_eq!(ErrorFrame::decode(&f.encode()).unwrap(), f);
            assert_eq!(code.close_code(), 4000 + b as u16);
        }
        assert_eq!(ErrorCode::from_u8(0), None);
        assert_eq!(ErrorCode::from_u8(10), None);
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        assert_eq!(ErrorFrame::decode(b"EVL"), Err(DecodeError::Truncated(3)));
        assert_eq!(ErrorFrame::decode(b"EVLS\x01\x01\x00\x00"), Err(DecodeError::BadMagic));
        assert_eq!(ErrorFrame::decode(b"EVLX\x02\x01\x00\x00"), Err(DecodeError::UnsupportedVersion(2, 1)));
        assert!(matches!(ErrorFrame::decode(b"EVLX\x01\x63\x00\x00"), Err(DecodeError::Malformed { .. })));
        assert!(matches!(ErrorFrame::decode(b"EVLX\x01\x01\x00\x05no"), Err(DecodeError::Truncated(_))));
        assert!(matches!(ErrorFrame::decode(b"EVLX\x01\x01\x00\x01noo"), Err(DecodeError::Malformed { .. })));
        assert!(matches!(ErrorFrame::decode(b"EVLX\x01\x01\x00\x02\xff\xfe"), Err(DecodeError::Malformed { .. })));
    }
}
