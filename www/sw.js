// Keeps the demo's own files (page, scripts, styles, the wasm package) so the page opens
// with the network off. Network first: online, every request goes to the server and the
// copy is refreshed; offline, the last copy is served. Data never goes through here: it
// lives in IndexedDB and syncs over the relay's WebSocket. Whatever the page fetches is
// kept (the app, and the `everlog/docs` module it imports: pkg/docs/web/…), so there is no
// file list to keep up to date; a new cache name drops the copies of older versions.

const CACHE = "everlog-demo-v2";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) =>
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  ),
);

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          event.waitUntil(caches.open(CACHE).then((c) => c.put(req, copy)));
        }
        return res;
      })
      .catch(async () => (await caches.match(req, { ignoreSearch: true })) ?? Response.error()),
  );
});
