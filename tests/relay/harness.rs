//! Runs the real `everlog-relay` binary on a loopback port for the integration tests.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use everlog::relay::{signed_token, Connection};
use everlog::{ActorId, AppendOptions, Draft, Event, Log};

pub const SECRET: &str = "integration-test-secret";

/// A running relay process; killed when dropped.
pub struct RelayProc {
    child: Child,
    pub addr: SocketAddr,
    pub data: PathBuf,
    /// The relay's log lines (stderr), collected as they come.
    pub log: Arc<Mutex<Vec<String>>>,
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("everlog-relay-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl RelayProc {
    /// Starts the relay on a free loopback port with the test secret.
    pub fn start(data: &Path) -> RelayProc {
        Self::start_with(data, "127.0.0.1:0".parse().unwrap(), &[])
    }

    /// Starts the relay on `listen` with extra flags, and waits until it listens.
    pub fn start_with(data: &Path, listen: SocketAddr, args: &[&str]) -> RelayProc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_everlog-relay"));
        for (k, _) in std::env::vars() {
            if k.starts_with("EVERLOG_RELAY_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("EVERLOG_RELAY_SECRET", SECRET)
            .arg("--listen")
            .arg(listen.to_string())
            .arg("--data-dir")
            .arg(data)
            .arg("--www")
            .arg(data.join("www"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn everlog-relay");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the relay's stdout");
        let addr = line.trim().strip_prefix("everlog-relay listening on ").unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the relay did not start: {line:?}; log: {:?}", log.lock().unwrap())
        });
        let addr = addr.parse().expect("address");
        RelayProc { child, addr, data: data.to_owned(), log }
    }

    /// Starts a new relay on the same address and data directory (after a kill or stop).
    pub fn restart(&self) -> RelayProc {
        Self::start_with(&self.data, self.addr, &[])
    }

    pub fn url(&self) -> String {
        format!("ws://{}/sync", self.addr)
    }

    /// `kill -9`: no chance to flush or close anything.
    pub fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// SIGTERM, then waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let ok = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill -TERM");
        assert!(ok.success());
        self.child.wait().expect("wait")
    }

    /// Waits (bounded) until the relay's log has a line containing `needle`.
    pub fn wait_for_log(&self, needle: &str) -> bool {
        for _ in 0..200 {
            if self.log.lock().unwrap().iter().any(|l| l.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }

    pub async fn client(&self, room: &str) -> Connection {
        Connection::connect(&self.url(), room, &token(room)).await.expect("connect")
    }
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn token(room: &str) -> String {
    signed_token(SECRET.as_bytes(), room)
}

pub fn actor(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

/// Appends `n` events to `log` as one atomic batch.
pub fn append(log: &mut Log, n: usize, tag: &str) -> Vec<Event> {
    let drafts = (0..n).map(|i| Draft::new("s", "Added", serde_json::json!({ "tag": tag, "i": i }))).collect();
    log.append(drafts, &AppendOptions::default(), 1_000).expect("append")
}

/// The events of a log, in its total order.
pub fn events(log: &Log) -> Vec<Event> {
    log.iter().map(|e| e.to_event()).collect()
}
