// A tiny static file server for the bench pages: 127.0.0.1, a free port, GET only, a fixed
// set of mounts (URL prefix -> directory), no directory listings, no paths outside a mount.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".map": "application/json",
  ".ts": "text/plain",
};

/** mounts: { "/": dir, "/everlog-pkg/": dir }; overrides: { "/index.html": string }. */
export async function serve(mounts, overrides = {}) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path === "/" ? "/index.html" : path;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") throw Object.assign(new Error(), { code: 405 });
      let body = overrides[file];
      if (body === undefined) {
        const prefix = prefixes.find((p) => file.startsWith(p));
        if (!prefix) throw Object.assign(new Error(), { code: "ENOENT" });
        const root = mounts[prefix];
        const full = normalize(join(root, file.slice(prefix.length)));
        if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) throw Object.assign(new Error(), { code: "ENOENT" });
        body = await readFile(full);
      }
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (e) {
      const status = e.code === 405 ? 405 : e.code === "ENOENT" || e.code === "EISDIR" ? 404 : 500;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(String(status));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}
