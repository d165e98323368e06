// An HTTP proxy between headless Chromium and wasm-bindgen-test-runner's page server
// (used by pkg-scripts/wasm-test-runner.sh; see docs/browser-tests.md for the why).
//
// The runner serves the test page with tiny_http 0.12, which pins one worker thread per
// open connection for as long as the browser keeps it alive, and whose thread pool can
// queue a new connection behind those pinned threads instead of starting one (its idle
// count is read before the woken workers update it). When the page imports its seven JS
// snippets at once, one run in two to four left a connection queued: the page never
// finished loading, no test ran, and the runner waited out its 300 s timeout.
//
// Through this proxy every request to the page server goes on a fresh connection that is
// closed after its response, so a worker thread is free again at once. Only loopback
// targets are forwarded. Prints the port it listens on, then runs until killed.
import http from "node:http";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

const server = http.createServer((req, res) => {
  let target;
  try {
    target = new URL(req.url);
  } catch {
    res.writeHead(400).end("absolute URL expected");
    return;
  }
  if (target.protocol !== "http:" || !LOOPBACK.has(target.hostname)) {
    res.writeHead(403).end("only the local test server is proxied");
    return;
  }
  const headers = { ...req.headers, connection: "close" };
  delete headers["proxy-connection"];
  const upstream = http.request(target, { method: req.method, headers, agent: false }, (up) => {
    const back = { ...up.headers };
    delete back.connection; // the browser may keep its connection to the proxy
    res.writeHead(up.statusCode ?? 502, back);
    up.pipe(res);
  });
  upstream.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(upstream);
});
server.on("connect", (_req, socket) => socket.end("HTTP/1.1 403 Forbidden\r\n\r\n"));
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
