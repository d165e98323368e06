//! The relay's configuration: command-line flags, each with an environment variable.
//!
//! Flags win over the environment. Secrets are read from the environment or a file, not
//! from a flag, so they do not show in `ps`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use super::auth::Auth;

/// everlog-relay: the sync relay of everlog. Serves `/sync` (WebSocket) and static files.
#[derive(Parser, Debug, Clone)]
#[command(name = "everlog-relay", version, about)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "EVERLOG_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Directory holding one durable log per room (created if missing).
    #[arg(long, env = "EVERLOG_RELAY_DATA", default_value = "everlog-data")]
    pub data_dir: PathBuf,

    /// Directory served as static files at `/` (the demo app). Not served when missing.
    #[arg(long, env = "EVERLOG_RELAY_WWW", default_value = "www")]
    pub www: PathBuf,

    /// File holding the secret that signs room tokens (HMAC-SHA256 of the room name).
    #[arg(long, env = "EVERLOG_RELAY_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,

    /// The secret that signs room tokens: only from the environment (`EVERLOG_RELAY_SECRET`).
    #[arg(skip = std::env::var("EVERLOG_RELAY_SECRET").ok())]
    pub secret: Option<String>,

    /// File of per-room tokens: lines `room token`, `#` comments.
    #[arg(long, env = "EVERLOG_RELAY_TOKENS")]
    pub tokens: Option<PathBuf>,

    /// Let every room open without a token. Local demos only.
    #[arg(long, env = "EVERLOG_RELAY_NO_AUTH")]
    pub no_auth: bool,

    /// Print the signed token of ROOM under the configured secret, and exit.
    #[arg(long, value_name = "ROOM")]
    pub print_token: Option<String>,

    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, env = "EVERLOG_RELAY_MAX_MESSAGE", default_value_t = 16 << 20)]
    pub max_message: usize,

    /// Log level: error, warn, info, debug or trace.
    #[arg(long, env = "EVERLOG_RELAY_LOG", default_value = "info")]
    pub log: tracing::Level,
}

impl Config {
    /// The configuration for a relay on `listen` storing in `data_dir`, with defaults.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Config {
            listen,
            data_dir,
            www: PathBuf::from("www"),
            secret_file: None,
            secret: None,
            tokens: None,
            no_auth: false,
            print_token: None,
            max_message: 16 << 20,
            log: tracing::Level::INFO,
        }
    }

    /// The secret, from `--secret-file` or `EVERLOG_RELAY_SECRET` (file wins).
    pub fn load_secret(&self) -> Result<Option<Vec<u8>>, String> {
        if let Some(path) = &self.secret_file {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            let secret = text.trim_end_matches(['\r', '\n']);
            if secret.is_empty() {
                return Err(format!("the secret file {} is empty", path.display()));
            }
            return Ok(Some(secret.as_bytes().to_vec()));
        }
        Ok(self.secret.as_ref().filter(|s| !s.is_empty()).map(|s| s.as_bytes().to_vec()))
    }

    /// The access policy. Refuses to run with no way to open a room and no `--no-auth`.
    pub fn load_auth(&self) -> Result<Auth, String> {
        let mut auth = if self.no_auth { Auth::open() } else { Auth::default() };
        if let Some(secret) = self.load_secret()? {
            auth = auth.with_secret(secret);
        }
        if let Some(path) = &self.tokens {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the tokens file {}: {e}", path.display()))?;
            auth = auth.with_tokens_file(&text)?;
        }
        if !auth.is_configured() {
            return Err("no way to open a room: set EVERLOG_RELAY_SECRET, --secret-file or --tokens \
                        (or --no-auth for a local demo)"
                .into());
        }
        Ok(auth)
    }
}
