// Turns measured runs into figures (median, min, max) and a markdown report with ratios
// against raw IndexedDB and against each peer.

export function summarize(runs) {
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  const mid = ms.length >> 1;
  const median = ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  const events = runs[0].events;
  const out = { median, min: ms[0], max: ms[ms.length - 1], runs: ms.length, events, rate: (events / median) * 1000 };
  if (runs[0].wasmBytes !== undefined) {
    const med = (k) => {
      const v = runs.map((r) => r[k]).filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
      return v.length ? v[v.length >> 1] : undefined;
    };
    for (const k of ["payload", "wasmBytes", "jsBytes", "cacheBytes"]) out[k] = med(k);
  }
  if (runs[0].bytes !== undefined) {
    for (const k of ["bytes", "gzipBytes", "flights", "roundTrips", "messages", "stored", "deliveries", "deliveredBytes", "applyMs", "receiveMs", "drainMs"]) out[k] = runs[0][k];
  }
  if (runs[0].jsHeld !== undefined) {
    // The heap held after a document replay: medians over the runs (documents.js).
    const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[runs.length >> 1];
    out.jsHeld = med("jsHeld");
    out.wasmHeld = med("wasmHeld");
    out.wasmInitial = runs[0].wasmInitial;
    out.held = med("jsHeld") + med("wasmHeld");
  }
  return out;
}

const num = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const si = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const ratio = (x) => (x >= 10 ? `${x.toFixed(0)}×` : x >= 0.1 ? `${x.toFixed(2)}×` : `${x.toPrecision(2)}×`);
const esc = (s) => String(s).replace(/\|/g, "\\|");

export function markdown(result) {
  const m = result.meta;
  const lines = [
    `# everlog benchmark — ${m.date}`,
    "",
    `Headless Chromium ${m.browserVersion}, ${m.cpus} CPU(s), Node ${m.node}; ${m.quick ? "**--quick** sizes" : "default sizes"}; ` +
      `IndexedDB durability \`${m.durability}\` wherever the library lets the caller choose. Each figure: median of the runs ` +
      "(min … max). Rate ratios (`vs X`) are this contender's events/s divided by X's: above 1 is faster than X. " +
      "Byte ratios in the sync table are this contender's bytes divided by X's: below 1 is smaller.",
    "",
  ];
  if (m.everlog) lines.push(`everlog: ${m.everlog}`, "");
  if (m.sizes && Object.keys(m.sizes).length) {
    const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
    lines.push(
      "## Package size",
      "",
      "What a page downloads: everlog's web target (wasm + JS glue + snippets); each peer as the bench bundles it (esbuild, minified; Automerge and Loro inline their wasm as base64). gzip -9.",
      "",
      "| contender | raw | gzip |",
      "|---|---:|---:|",
      ...Object.entries(m.sizes).map(([k, s]) => `| ${k} | ${kb(s.raw)} | ${kb(s.gzip)} |`),
      "",
    );
  }
  for (const w of result.workloads) {
    lines.push(`## ${w.title} (${si(w.params.n)} ${w.kind === "doc" ? "transactions" : "events"})`, "", `${w.what}.`, "");
    const ok = w.rows.filter((r) => r.status === "ok");
    const cols = ok.map((r) => r.contender);
    if (w.kind === "memory") {
      lines.push(
        "| contender | payload B/event | wasm heap B/event | JS heap B/event | + JS heap of the fold cache B/event |",
        "|---|---:|---:|---:|---:|",
      );
      for (const r of w.rows) {
        const s = r.summary;
        if (r.status !== "ok") {
          const why = r.status === "na" ? `n/a: ${r.reason}` : r.status === "absent" ? `not run: ${r.reason}` : `error: ${r.reason}`;
          lines.push(`| ${r.label} | ${esc(why)} | | | |`);
          continue;
        }
        const b = (x) => (x === undefined ? "—" : Math.round(x).toLocaleString("en-US"));
        lines.push(`| ${r.label} | ${b(s.payload)} | ${b(s.wasmBytes)} | ${b(s.jsBytes)} | ${b(s.cacheBytes)} |`);
      }
      lines.push("", `Medians of ${w.runs} runs at most, each in a fresh page. Wasm memory grows in 64 KiB pages and never shrinks: the figure includes allocator slack and the peak of the appends' transient buffers.`, "");
      continue;
    }
    if (w.kind === "doc") {
      lines.push(docTable(w, ok), "");
      continue;
    }
    if (w.kind === "sync") {
      lines.push(
        `| contender | median ms | min … max | wire bytes | B/event | gzip bytes | flights (RTT) |${cols.map((c) => ` bytes vs ${c} |`).join("")}`,
        `|---|---:|---:|---:|---:|---:|---:|${cols.map(() => "---:|").join("")}`,
      );
    } else {
      lines.push(
        `| contender | median ms | min … max | events/s |${cols.map((c) => ` vs ${c} |`).join("")}`,
        `|---|---:|---:|---:|${cols.map(() => "---:|").join("")}`,
      );
    }
    for (const r of w.rows) {
      if (r.status !== "ok") {
        const why = r.status === "na" ? `n/a: ${r.reason}` : r.status === "absent" ? `not run: ${r.reason}` : `error: ${r.reason}`;
        const blanks = (w.kind === "sync" ? 6 : 3) + cols.length;
        lines.push(`| ${r.label} | ${esc(why)} |${" |".repeat(blanks - 1)}`);
        continue;
      }
      const s = r.summary;
      const head = `| ${r.label} | ${num(s.median)} | ${num(s.min)} … ${num(s.max)}${s.runs < w.runs ? ` (${s.runs} run${s.runs === 1 ? "" : "s"})` : ""}`;
      if (w.kind === "sync") {
        const cells = ok.map((o) => (o === r ? "—" : ratio(s.bytes / o.summary.bytes)));
        lines.push(
          `${head} | ${s.bytes.toLocaleString("en-US")} | ${(s.bytes / s.events).toFixed(1)} | ${s.gzipBytes.toLocaleString("en-US")} | ${s.flights} (${s.roundTrips}) | ${cells.join(" | ")} |`,
        );
      } else {
        const cells = ok.map((o) => (o === r ? "—" : ratio(s.rate / o.summary.rate)));
        lines.push(`${head} | ${si(s.rate)} | ${cells.join(" | ")} |`);
      }
    }
    const notes = w.rows.filter((r) => r.note).map((r) => `- ${r.label}: ${r.note}`);
    if (notes.length) lines.push("", ...notes);
    lines.push("");
  }
  return lines.join("\n");
}

/** The documents workload: replay time and rate, then bytes stored and synced, each with ratios. */
function docTable(w, ok) {
  const out = [
    `| contender | replay median ms | min … max | txns/s |${ok.map((o) => ` time vs ${o.contender} |`).join("")} stored bytes | synced bytes (messages) | gzip synced |${ok.map((o) => ` synced vs ${o.contender} |`).join("")}`,
    `|---|---:|---:|---:|${ok.map(() => "---:|").join("")}---:|---:|---:|${ok.map(() => "---:|").join("")}`,
  ];
  for (const r of w.rows) {
    if (r.status !== "ok") {
      const why = r.status === "na" ? `n/a: ${r.reason}` : r.status === "absent" ? `not run: ${r.reason}` : `error: ${r.reason}`;
      out.push(`| ${r.label} | ${esc(why)} |${" |".repeat(5 + 2 * ok.length)}`);
      continue;
    }
    const s = r.summary;
    // Time ratios: this contender's time over the other's (above 1 is slower).
    const t = ok.map((o) => (o === r ? "—" : ratio(s.median / o.summary.median)));
    const b = ok.map((o) => (o === r ? "—" : ratio(s.bytes / o.summary.bytes)));
    const stored = s.stored === undefined ? "= synced" : s.stored.toLocaleString("en-US");
    out.push(
      `| ${r.label} | ${num(s.median)} | ${num(s.min)} … ${num(s.max)}${s.runs < w.runs ? ` (${s.runs} run${s.runs === 1 ? "" : "s"})` : ""} | ${si(s.rate)} | ${t.join(" | ")} | ${stored} | ${s.bytes.toLocaleString("en-US")} (${s.messages}) | ${s.gzipBytes.toLocaleString("en-US")} | ${b.join(" | ")} |`,
    );
  }
  const notes = w.rows.filter((r) => r.note).map((r) => `- ${r.label}: ${r.note}`);
  // A concurrent trace: what the replicas sent each other during the replay (on the clock).
  for (const r of w.rows) {
    const s = r.status === "ok" && r.summary;
    if (s && s.deliveredBytes !== undefined) notes.push(`- ${r.label}: ${s.deliveredBytes.toLocaleString("en-US")} bytes delivered between the replicas during the replay (${s.deliveries.toLocaleString("en-US")} deliveries); replay time in the library: ${num(s.applyMs)} ms applying transactions, ${num(s.receiveMs)} ms receiving, ${num(s.drainMs)} ms producing messages`);
  }
  if (notes.length) out.push("", ...notes);
  out.push("", "Time ratios are this contender's replay time over the other's (above 1 is slower); byte ratios likewise.");
  const held = ok.filter((r) => r.summary.held !== undefined);
  if (held.length) out.push("", heapTable(held));
  return out.join("\n");
}

/** The heap held after a document replay, replicas alive: JS heap added + wasm linear memory. */
function heapTable(ok) {
  const mb = (x) => (Number.isNaN(x) ? "—" : `${(x / 1e6).toFixed(2)} MB`);
  const out = [
    `| contender | JS heap held | wasm memory (high-water) | of which initial | heap held |${ok.map((o) => ` held vs ${o.contender} |`).join("")}`,
    `|---|---:|---:|---:|---:|${ok.map(() => "---:|").join("")}`,
  ];
  for (const r of ok) {
    const s = r.summary;
    out.push(`| ${r.label} | ${mb(s.jsHeld)} | ${s.wasmHeld ? mb(s.wasmHeld) : "none"} | ${s.wasmHeld ? mb(s.wasmInitial) : "—"} | ${mb(s.held)} | ${ok.map((o) => (o === r ? "—" : ratio(s.held / o.summary.held))).join(" | ")} |`);
  }
  out.push(
    "",
    `Heap held after the replay, every replica of the replay alive (before the sync to an empty one): the JS heap the replay added (gc(), then performance.memory.usedJSHeapSize) plus the library's wasm linear memory (memory.buffer.byteLength: it grows in 64 KiB pages and never shrinks, so it is a high-water mark of the page so far, the module's initial memory (\"of which initial\": its size when the instance was created) and transient peaks included; Yjs has no wasm). Medians of the runs; ratios above 1 hold more.`,
  );
  return out.join("\n");
}

/** Every contender that computed a fold result must agree with the others. */
export function checkAgreement(workload) {
  const checks = workload.rows.filter((r) => r.status === "ok" && r.check !== undefined);
  if (checks.length < 2) return;
  const ref = checks[0];
  for (const r of checks.slice(1)) {
    if (r.check !== ref.check) r.note = `fold result ${r.check} differs from ${ref.contender}'s ${ref.check}`;
  }
}
