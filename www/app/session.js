// Who is using this device, which room they share, and where the relay is.
//
// Each browser profile is one replica of the log (its own IndexedDB); the display name is
// only a label written into the meta of every event, so conflicts can say who wrote each
// side. `?name=` and `?room=` in the address set them (and the name is remembered).

const NAMES = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Alan", "Radia", "Edsger", "Frances"];
const NAME_KEY = "everlog-demo:name";

export function deviceName() {
  const fromUrl = new URLSearchParams(location.search).get("name");
  if (fromUrl) {
    localStorage.setItem(NAME_KEY, fromUrl.slice(0, 40));
    return fromUrl.slice(0, 40);
  }
  let name = localStorage.getItem(NAME_KEY);
  if (!name) {
    name = NAMES[crypto.getRandomValues(new Uint32Array(1))[0] % NAMES.length];
    localStorage.setItem(NAME_KEY, name);
  }
  return name;
}

export function setDeviceName(name) {
  const clean = name.trim().slice(0, 40);
  if (clean) localStorage.setItem(NAME_KEY, clean);
  return clean || deviceName();
}

/** The shared room: everyone in the same room edits the same cart and document. */
export function roomName() {
  const room = new URLSearchParams(location.search).get("room") || "demo";
  return room.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64) || "demo";
}

/** The relay's sync endpoint on the server that served this page. */
export function relayUrl() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/sync`;
}
