// The connection to the relay and what the page says about it.
//
// The package's WebSocket transport reconnects by itself and follows the browser's
// online/offline events; this file only shows its status and how far sync has got:
// how many of this device's changes the relay has not confirmed yet.

import { h, mount, when } from "./dom.js";
import { relayUrl, roomName } from "./session.js";

const LABEL = {
  online: "Online · synced",
  syncing: "Syncing…",
  offline: "Offline",
  connecting: "Connecting…",
  local: "This device only (no sync in this build)",
  error: "Sync refused",
  closed: "Disconnected",
};

/**
 * The room token: HMAC-SHA256 of the room name under the relay's secret, in hex.
 * A real app gets it from its own server, which holds the secret. This demo holds the
 * documented demo secret itself (pkg-scripts/demo.sh starts the relay with it), so it works
 * out of the box on 127.0.0.1; never reuse that secret for a relay anyone else can reach.
 */
export const DEMO_SECRET = "everlog-local-demo";

async function roomToken(room) {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(DEMO_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(room)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function connect(store) {
  const room = roomName();
  const token = await roomToken(room);
  // A package built without the WebSocket transport still runs the demo on one device.
  const conn =
    typeof store.log.connect === "function" ? store.log.connect(relayUrl(), { room, token }) : { status: "local" };
  const el = document.getElementById("status");
  const banner = document.getElementById("offline-banner");
  const detail = document.getElementById("sync-detail");
  let last = "";

  function render() {
    const status = String(conn.status ?? "connecting");
    const p = conn.progress ?? { toSend: 0, toReceive: 0 };
    const events = Object.values(store.version()).reduce((n, s) => n + Number(s), 0);
    let text = LABEL[status] ?? status;
    if (status === "syncing" && p.known) {
      const parts = [p.toSend && `${p.toSend} to send`, p.toReceive && `${p.toReceive} to receive`].filter(Boolean);
      if (parts.length) text = `Syncing · ${parts.join(", ")}`;
    }
    if (status === "error") text = `Sync refused: ${conn.lastError?.message ?? "see the relay's log"}`;
    const waiting = status === "offline" && p.toSend > 0 ? ` · ${p.toSend} changes wait for the network` : "";
    const key = `${status}|${text}|${events}|${conn.lastSyncedAt}|${waiting}`;
    if (key === last) return;
    last = key;
    el.dataset.state = status;
    mount(el, h("span.dot"), h("span.status-text", {}, text));
    banner.hidden = status !== "offline";
    banner.textContent = navigator.onLine
      ? "The sync server cannot be reached. Everything you do is saved on this device and syncs when it is back."
      : "You are offline. Everything you do is saved on this device and syncs when you reconnect.";
    mount(
      detail,
      `${events} events on this device`,
      waiting,
      conn.lastSyncedAt ? ` · last synced ${when(conn.lastSyncedAt)}` : "",
    );
  }

  conn.addEventListener?.("status", render);
  conn.addEventListener?.("progress", render);
  store.onChange(render);
  render();
  return conn;
}
