//! Who may open a room.
//!
//! A room opens only with a valid token; without one a client can neither read nor write
//! it. Two kinds of token are accepted, and a deployment may use both:
//!
//! - **signed tokens**: the relay holds a secret (`--secret-file`, `EVERLOG_RELAY_SECRET`);
//!   the token of room `r` is the lowercase hex HMAC-SHA256 of the UTF-8 room name under
//!   that secret. An app server that knows the secret mints tokens without talking to the
//!   relay, e.g. `printf %s "$ROOM" | openssl dgst -sha256 -hmac "$SECRET"`.
//! - **per-room tokens**: a file (`--tokens`) with lines `room token`; a room may have
//!   several tokens, `#` starts a comment.
//!
//! Comparisons do not leak where a wrong token differs: HMACs are checked with the `hmac`
//! crate's constant-time verification, and listed tokens are compared by their SHA-256
//! digests. `--no-auth` turns checking off, for local demos only.

use std::collections::HashMap;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The client sent no token.
    Missing,
    /// The token does not open this room.
    Invalid,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthError::Missing => "a token is required to open this room",
            AuthError::Invalid => "the token does not open this room",
        })
    }
}

/// The relay's access policy.
#[derive(Clone, Default)]
pub struct Auth {
    secret: Option<Vec<u8>>,
    tokens: HashMap<String, Vec<[u8; 32]>>,
    open: bool,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret or the tokens.
        f.debug_struct("Auth")
            .field("secret", &self.secret.is_some())
            .field("rooms_with_tokens", &self.tokens.len())
            .field("open", &self.open)
            .finish()
    }
}

impl Auth {
    /// Every room opens without a token. For local demos only.
    pub fn open() -> Self {
        Auth { open: true, ..Auth::default() }
    }

    /// Accept tokens signed with `secret` (see [`signed_token`]).
    pub fn with_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Accept `token` for `room`.
    pub fn with_token(mut self, room: &str, token: &str) -> Self {
        self.tokens.entry(room.to_owned()).or_default().push(digest(token));
        self
    }

    /// Accept the per-room tokens of a tokens file: lines `room token`, `#` comments.
    pub fn with_tokens_file(mut self, text: &str) -> Result<Self, String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(room), Some(token), None) => self = self.with_token(room, token),
                _ => return Err(format!("tokens file line {}: expected `room token`", n + 1)),
            }
        }
        Ok(self)
    }

    /// Is any way of opening a room configured?
    pub fn is_configured(&self) -> bool {
        self.open || self.secret.is_some() || !self.tokens.is_empty()
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Does `token` open `room`?
    pub fn check(&self, room: &str, token: Option<&str>) -> Result<(), AuthError> {
        if self.open {
            return Ok(());
        }
        let token = token.filter(|t| !t.is_empty()).ok_or(AuthError::Missing)?;
        if let Some(secret) = &self.secret {
            if let Some(tag) = from_hex(token) {
                let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
                mac.update(room.as_bytes());
                if mac.verify_slice(&tag).is_ok() {
                    return Ok(());
                }
            }
        }
        if let Some(list) = self.tokens.get(room) {
            let d = digest(token);
            if list.contains(&d) {
                return Ok(());
            }
        }
        Err(AuthError::Invalid)
    }
}

/// The signed token of `room` under `secret`: lowercase hex HMAC-SHA256 of the room name.
pub fn signed_token(secret: &[u8], room: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(room.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|c| Some(((c[0] as char).to_digit(16)? * 16 + (c[1] as char).to_digit(16)?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_match_the_rfc_4231_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signed_token(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signed_token_opens_its_room_only() {
        let auth = Auth::default().with_secret(*b"s3cret");
        let t = signed_token(b"s3cret", "room-a");
        assert_eq!(auth.check("room-a", Some(&t)), Ok(()));
        assert_eq!(auth.check("room-a", Some(&t.to_uppercase())), Ok(()));
        assert_eq!(auth.check("room-b", Some(&t)), Err(AuthError::Invalid));
        assert_eq!(auth.check("room-a", None), Err(AuthError::Missing));
        assert_eq!(auth.check("room-a", Some("")), Err(AuthError::Missing));
        assert_eq!(auth.check("room-a", Some("zz")), Err(AuthError::Invalid));
        assert_eq!(auth.check("room-a", Some(&signed_token(b"other", "room-a"))), Err(AuthError::Invalid));
    }

    #[test]
    fn tokens_file_lists_tokens_per_room() {
        let auth =
            Auth::default().with_tokens_file("# demo\nroom-a  tok1\nroom-a tok2 # second\n\nroom-b tok3\n").unwrap();
        assert_eq!(auth.check("room-a", Some("tok1")), Ok(()));
        assert_eq!(auth.check("room-a", Some("tok2")), Ok(()));
        assert_eq!(auth.check("room-a", Some("tok3")), Err(AuthError::Invalid));
        assert_eq!(auth.check("room-c", Some("tok1")), Err(AuthError::Invalid));
        assert!(Auth::default().with_tokens_file("room-a\n").is_err());
        assert!(Auth::default().with_tokens_file("room-a a b\n").is_err());
    }

    #[test]
    fn open_and_unconfigured() {
        assert!(!Auth::default().is_configured());
        assert_eq!(Auth::default().check("r", Some("x")), Err(AuthError::Invalid));
        assert_eq!(Auth::open().check("r", None), Ok(()));
        assert!(!format!("{:?}", Auth::default().with_secret(*b"hidden")).contains("hidden"));
    }
}
