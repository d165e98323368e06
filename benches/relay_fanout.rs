//! Relay fan-out benchmark: N native clients append and sync through one relay on loopback.
//!
//! Starts the real `everlog-relay` binary, connects `CLIENTS` clients to one room, and has
//! each append `EVENTS` events, one at a time, every `INTERVAL_MS` (0 = as fast as it
//! can), pushing each to the relay at once, while reading what the relay pushes. Every
//! event carries the instant it was appended, so each arrival at another client gives one
//! latency sample (append on one client → applied on another, through the relay's durable
//! write and fan-out). Bounded: it stops when every client holds every event or after
//! `MAX_SECS`.
//!
//! ```sh
//! cargo bench --features relay --bench relay_fanout
//! EVERLOG_BENCH_CLIENTS=100 EVERLOG_BENCH_EVENTS=50 EVERLOG_BENCH_INTERVAL_MS=20 \
//!     cargo bench --features relay --bench relay_fanout
//! ```
//!
//! Prints events/s through the relay (events appended and delivered to every other
//! client, over the wall time), deliveries/s, and p50/p99/max latency.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use everlog::relay::{signed_token, Connection};
use everlog::{ActorId, AppendOptions, Draft, Log};

const SECRET: &str = "bench-secret";
static START: OnceLock<Instant> = OnceLock::new();

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn micros() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

struct Outcome {
    latencies: Vec<u64>,
    /// Append → the relay's acknowledgement (durable on the relay), per own event.
    acks: Vec<u64>,
    received: u64,
    done_at: Duration,
}

async fn client(
    n: u64,
    url: String,
    clients: u64,
    events: u64,
    interval: Duration,
    deadline: Instant,
    go: Instant,
) -> Outcome {
    let me = ActorId::from_u128(n as u128 + 1);
    let mut log = Log::new(me);
    let mut conn =
        Connection::connect(&url, "bench", &signed_token(SECRET.as_bytes(), "bench")).await.expect("connect");
    conn.sync(&mut log).await.expect("first sync");
    tokio::time::sleep_until(go.into()).await;
    let expected = (clients - 1) * events;
    let (mut appended, mut received) = (0, 0);
    let mut latencies = Vec::with_capacity(expected as usize);
    let (mut appended_at, mut acks) = (std::collections::VecDeque::new(), Vec::new());
    let mut next = Instant::now();
    while (appended < events || received < expected) && Instant::now() < deadline {
        let wait =
            if appended < events { next.saturating_duration_since(Instant::now()) } else { Duration::from_secs(1) };
        match tokio::time::timeout(wait, conn.recv(&mut log)).await {
            Ok(Ok(r)) => {
                let now = micros();
                for e in r.applied.iter().filter(|e| e.id.actor != me) {
                    let t = e.data_value().map_or(now, |v| v["t"].as_u64().unwrap_or(now));
                    latencies.push(now.saturating_sub(t));
                    received += 1;
                }
                let acked = conn.acknowledged().map_or(0, |v| v.get(&me));
                while appended_at.front().is_some_and(|(seq, _)| *seq <= acked) {
                    let (_, t) = appended_at.pop_front().expect("front");
                    acks.push(now.saturating_sub(t));
                }
            }
            Ok(Err(e)) => panic!("client {n}: {e}"),
            Err(_) if appended < events => {
                let draft = Draft::new("bench", "Tick", serde_json::json!({ "t": micros(), "c": n }));
                let e = log.append(vec![draft], &AppendOptions::default(), micros() / 1000).expect("append");
                appended_at.push_back((e[0].id.seq, micros()));
                conn.push(&log).await.expect("push");
                appended += 1;
                next += interval;
            }
            Err(_) => {}
        }
    }
    let done_at = go.elapsed();
    conn.close().await;
    Outcome { latencies, acks, received, done_at }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// User + system CPU seconds of a process, from `/proc/PID/stat` (0 where unavailable).
fn cpu_seconds(stat: &str) -> f64 {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    let fields: Vec<&str> = text.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    ticks as f64 / 100.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?").to_owned()
}

fn main() {
    let clients = env("EVERLOG_BENCH_CLIENTS", 100);
    let events = env("EVERLOG_BENCH_EVENTS", 50);
    let interval = Duration::from_millis(env("EVERLOG_BENCH_INTERVAL_MS", 20));
    let max = Duration::from_secs(env("EVERLOG_BENCH_MAX_SECS", 60));
    START.get_or_init(Instant::now);

    let data = std::env::temp_dir().join(format!("everlog-relay-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut relay = Command::new(env!("CARGO_BIN_EXE_everlog-relay"))
        .env("EVERLOG_RELAY_SECRET", SECRET)
        .args(["--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start everlog-relay");
    let mut line = String::new();
    BufReader::new(relay.stdout.take().unwrap()).read_line(&mut line).expect("relay address");
    let addr = line.trim().strip_prefix("everlog-relay listening on ").expect("relay started").to_owned();
    let url = format!("ws://{addr}/sync");

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let outcomes = rt.block_on(async {
        let go = Instant::now() + Duration::from_millis(500 + 10 * clients);
        let deadline = go + max;
        let tasks: Vec<_> = (0..clients)
            .map(|n| tokio::spawn(client(n, url.clone(), clients, events, interval, deadline, go)))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("client task"));
        }
        out
    });
    let relay_cpu = cpu_seconds(&format!("/proc/{}/stat", relay.id()));
    let bench_cpu = cpu_seconds("/proc/self/stat");
    let _ = Command::new("kill").arg("-TERM").arg(relay.id().to_string()).status();
    let _ = relay.wait();
    let journal = std::fs::metadata(data.join("rooms/bench/log.evl")).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&data);

    let wall = outcomes.iter().map(|o| o.done_at).max().unwrap_or_default().as_secs_f64();
    let delivered: u64 = outcomes.iter().map(|o| o.received).sum();
    let expected = clients * (clients - 1) * events;
    let mut acks: Vec<u64> = outcomes.iter().flat_map(|o| o.acks.iter().copied()).collect();
    acks.sort_unstable();
    let mut lat: Vec<u64> = outcomes.into_iter().flat_map(|o| o.latencies).collect();
    lat.sort_unstable();
    println!("relay_fanout: {clients} clients × {events} events, one append every {interval:?} per client");
    println!("  wall time            {wall:.2} s (from the first append to the last arrival)");
    println!("  events appended      {}", clients * events);
    println!(
        "  deliveries           {delivered} of {expected}{}",
        if delivered < expected { "  (INCOMPLETE)" } else { "" }
    );
    println!("  events/s via relay   {:.0}", (clients * events) as f64 / wall);
    println!("  deliveries/s         {:.0}", delivered as f64 / wall);
    println!(
        "  latency append→other client: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "  latency append→relay ack (durable): p50 {:.2} ms, p99 {:.2} ms ({} samples)",
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
        acks.len()
    );
    println!("  room file            {journal} bytes");
    println!("  CPU: relay {relay_cpu:.2} s, the {clients} clients {bench_cpu:.2} s (load average {})", load());
}
