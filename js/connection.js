// The WebSocket transport to the relay, behind `log.connect(url, { room, token })`
// (src/wasm/connection.rs). The wire protocol is in docs/relay.md; this file only moves
// bytes between a WebSocket and a fresh `Peer` per connection, and decides when to
// reconnect:
//   - status: "connecting" → "syncing" → "online" (the relay confirmed every local event
//     and sent everything it announced) ⇄ "syncing" on each change; "offline" when the
//     browser is offline or the socket dropped (retries with backoff: 250 ms doubling to
//     30 s, with jitter; at once on the browser's `online` event); "error" when the relay
//     refused for good (bad token or room: no retry); "closed" after close().
//   - every status change and every sync step dispatches a "status" / "progress" event.
// Incoming messages are handled one at a time, in order (each is persisted before the next).

const FATAL = new Set([4001, 4002, 4003, 4004, 4006, 4007]);
const ERROR_MAGIC = [0x45, 0x56, 0x4c, 0x58]; // "EVLX"

export class Connection extends EventTarget {
  constructor(url, options, newPeer, watch) {
    super();
    const opts = options ?? {};
    const sep = url.includes("?") ? "&" : "?";
    this.url = `${url}${sep}room=${encodeURIComponent(opts.room ?? "")}&token=${encodeURIComponent(opts.token ?? "")}`;
    this._newPeer = newPeer;
    this._status = "connecting";
    this._progress = { known: false, toSend: 0, toReceive: 0 };
    this.lastError = null;
    this.lastSyncedAt = null;
    this._ws = null;
    this._peer = null;
    this._queue = Promise.resolve();
    this._delay = 250;
    this._timer = null;
    this._closed = false;
    this._onOnline = () => this._reconnectNow();
    this._onOffline = () => this._drop("offline");
    globalThis.addEventListener?.("online", this._onOnline);
    globalThis.addEventListener?.("offline", this._onOffline);
    this._unwatch = watch((events) => this._onChange(events));
    this._open();
  }

  /** "connecting" | "syncing" | "online" | "offline" | "error" | "closed" */
  get status() {
    return this._status;
  }

  /** `{ known, toSend, toReceive }`: events not yet confirmed by / received from the relay. */
  get progress() {
    return { ...this._progress };
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    clearTimeout(this._timer);
    globalThis.removeEventListener?.("online", this._onOnline);
    globalThis.removeEventListener?.("offline", this._onOffline);
    this._unwatch?.();
    const ws = this._ws;
    this._ws = null;
    this._peer = null;
    ws?.close(1000);
    this._setStatus("closed");
  }

  _setStatus(s) {
    if (s === this._status) return;
    this._status = s;
    if (s === "online") this.lastSyncedAt = Date.now();
    this.dispatchEvent(new Event("status"));
  }

  _open() {
    if (this._closed || this._ws) return;
    if (globalThis.navigator?.onLine === false) return this._setStatus("offline");
    this._setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.lastError = { code: 0, message: String(e?.message ?? e) };
      return this._setStatus("error");
    }
    ws.binaryType = "arraybuffer";
    const peer = this._newPeer();
    this._ws = ws;
    this._peer = peer;
    ws.onopen = () => {
      if (this._ws !== ws) return;
      this._delay = 250;
      this._setStatus("syncing");
      this._pump();
    };
    ws.onmessage = (ev) => {
      if (this._ws !== ws || !(ev.data instanceof ArrayBuffer)) return;
      const bytes = new Uint8Array(ev.data);
      if (ERROR_MAGIC.every((b, i) => bytes[i] === b)) {
        const len = (bytes[6] << 8) | bytes[7];
        this.lastError = { code: bytes[5], message: new TextDecoder().decode(bytes.subarray(8, 8 + len)) };
        return;
      }
      this._queue = this._queue
        .then(() => (this._peer === peer ? peer.receiveMessage(bytes) : 0))
        .catch((e) => {
          // A damaged message: its complete part was kept; the next message asks for the rest.
          if (e?.name !== "DecodeError") this.lastError = { code: 0, message: String(e?.message ?? e) };
        })
        .then(() => this._peer === peer && this._pump());
    };
    ws.onclose = (ev) => {
      if (this._ws !== ws) return;
      this._ws = null;
      this._peer = null;
      if (FATAL.has(ev.code)) return this._setStatus("error");
      this._setStatus("offline");
      this._schedule();
    };
    ws.onerror = () => {}; // onclose follows and decides
  }

  /** The log changed: send it, or, with no link, count it as waiting for one. */
  _onChange(events) {
    if (this._ws?.readyState === WebSocket.OPEN) return this._pump();
    this._progress = { ...this._progress, toSend: this._progress.toSend + (events?.length ?? 0) };
    this.dispatchEvent(new Event("progress"));
  }

  /** Sends whatever the peer has to say, then recomputes the status. */
  _pump() {
    const ws = this._ws;
    const peer = this._peer;
    if (!ws || !peer || ws.readyState !== WebSocket.OPEN) return;
    try {
      for (let m = peer.generateMessage(); m; m = peer.generateMessage()) ws.send(m);
      this._progress = peer.progress();
    } catch (e) {
      // The log was closed: this connection ends with it.
      if (e?.name === "ClosedError") return this.close();
      throw e;
    }
    const p = this._progress;
    this._setStatus(p.known && p.toSend === 0 && p.toReceive === 0 ? "online" : "syncing");
    if (this._status === "online") this.lastSyncedAt = Date.now();
    this.dispatchEvent(new Event("progress"));
  }

  _drop(status) {
    const ws = this._ws;
    this._ws = null;
    this._peer = null;
    ws?.close(1000);
    if (!this._closed) this._setStatus(status);
  }

  _schedule() {
    if (this._closed) return;
    clearTimeout(this._timer);
    const wait = this._delay * (0.5 + Math.random() * 0.5);
    this._delay = Math.min(this._delay * 2, 30_000);
    this._timer = setTimeout(() => this._open(), wait);
  }

  _reconnectNow() {
    if (this._closed) return;
    clearTimeout(this._timer);
    this._delay = 250;
    this._open();
  }
}
