//! Static files and clean shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;

use everlog::Log;

use crate::harness::*;

fn http_get(relay: &RelayProc, path: &str) -> String {
    let mut s = TcpStream::connect(relay.addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serves_the_www_directory() {
    let dir = temp_dir("www");
    std::fs::create_dir_all(dir.join("www/js")).unwrap();
    std::fs::write(dir.join("www/index.html"), "<h1>everlog demo</h1>").unwrap();
    std::fs::write(dir.join("www/js/app.js"), "console.log(1)").unwrap();
    let relay = RelayProc::start(&dir);
    let index = http_get(&relay, "/");
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(index.contains("<h1>everlog demo</h1>"));
    let js = http_get(&relay, "/js/app.js");
    assert!(js.contains("javascript") && js.contains("console.log(1)"), "{js}");
    assert!(http_get(&relay, "/missing.html").starts_with("HTTP/1.1 404"));
    assert!(http_get(&relay, "/../Cargo.toml").starts_with("HTTP/1.1 4"));
}

#[tokio::test]
async fn sigterm_stops_cleanly_and_the_room_survives_a_restart() {
    let mut relay = RelayProc::start(&temp_dir("restart"));
    let mut a = Log::new(actor(1));
    append(&mut a, 10, "before restart");
    let mut conn = relay.client("durable").await;
    conn.sync(&mut a).await.unwrap();

    // A connected client does not keep the relay from stopping.
    let status = relay.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert!(relay.wait_for_log("stopped"));
    assert!(conn.recv(&mut a).await.is_err());

    let relay = relay.restart();
    let mut b = Log::new(actor(2));
    relay.client("durable").await.sync(&mut b).await.unwrap();
    assert_eq!(events(&b), events(&a));
}
