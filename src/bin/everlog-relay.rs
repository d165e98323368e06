//! everlog-relay: the sync relay server. `everlog-relay --help` lists the flags; the
//! protocol, the configuration and the token scheme are described in docs/relay.md.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use everlog::relay::{signed_token, Config, Relay};

fn main() -> ExitCode {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_max_level(config.log)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    if let Some(room) = &config.print_token {
        return match config.load_secret() {
            Ok(Some(secret)) => {
                println!("{}", signed_token(&secret, room));
                ExitCode::SUCCESS
            }
            Ok(None) => fail("--print-token needs a secret (EVERLOG_RELAY_SECRET or --secret-file)"),
            Err(e) => fail(&e),
        };
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async {
        let relay = match Relay::bind(&config).await {
            Ok(relay) => relay,
            Err(e) => return fail(&e),
        };
        let addr = match relay.local_addr() {
            Ok(addr) => addr,
            Err(e) => return fail(&format!("no local address: {e}")),
        };
        if config.load_auth().map(|a| a.is_open()).unwrap_or(false) {
            tracing::warn!("--no-auth: every room opens without a token");
        }
        tracing::info!(data = %config.data_dir.display(), "listening on http://{addr} (WebSocket at /sync)");
        // One machine-readable line on stdout, for scripts and tests that use port 0.
        println!("everlog-relay listening on {addr}");
        match relay.serve(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("server error: {e}")),
        }
    })
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::error!("cannot watch SIGTERM: {e}; stopping on Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn fail(message: &str) -> ExitCode {
    tracing::error!("{message}");
    ExitCode::FAILURE
}
