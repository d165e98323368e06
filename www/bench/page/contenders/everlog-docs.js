// everlog's documents entry in the documents workload (see ../documents.js), through its
// public JS API:
//   import init, { EventLog, Document } from "everlog/docs";
//   const doc = await Document.open(log, "doc:7"); await doc.change([...ops]); doc.text(path)
// One Document.change per transaction (one event), in a memory log. A concurrent trace gets
// one memory log per agent, connected pairwise by the logs' own sync (peer()). The bare specifier
// "everlog/docs" is resolved by the page's import map to the package's documents entry; this
// module is its own bundle, so a package without that entry never breaks the baselines.
import init, { Document, EventLog } from "everlog/docs";
import { runSync } from "../sync.js";

let ready = null;
const start = () => (ready ??= typeof init === "function" ? init() : Promise.resolve());
const STREAM = "doc:trace";
const PATH = ["text"];
let opened = 0;

const open = async () => {
  await start();
  return EventLog.open(`bench-docs-${Date.now()}-${opened++}`, { storage: "memory" });
};

const side = (peer) => ({ generate: () => peer.generateMessage(), receive: (m) => peer.receiveMessage(m) });

export default {
  name: "everlog",
  // Its wasm instance (wasm-memory.js): the one exporting the EventLog class.
  wasmClass: "eventlog",
  async replay(txns) {
    const log = await open();
    const doc = await Document.open(log, STREAM);
    await doc.putText(PATH, "");
    const t0 = performance.now();
    for (const { patches } of txns) {
      await doc.change(patches.map(([index, deleteCount, text]) => ({ op: "splice", path: PATH, index, deleteCount, text })));
    }
    const ms = performance.now() - t0;
    // Stored: everlog keeps the events; their encoded size is what the full sync carries.
    return { ms, text: doc.text(PATH), stored: undefined, peer: () => side(log.peer()) };
  },
  async fresh() {
    const log = await open();
    return { peer: () => side(log.peer()), text: async () => (await Document.open(log, STREAM)).text(PATH) };
  },
  async agents(n) {
    // Agents in actor order (a log's actor is random): concurrent inserts at one position are
    // ordered by actor, and the trace's final text assumes agent 0's is the lowest, as the
    // native replay's actors are (and Automerge's and Yjs's here).
    const logs = (await Promise.all(Array.from({ length: n }, open))).sort((a, b) => (a.actor < b.actor ? -1 : 1));
    // Agent 0 creates the text; every pair of logs is connected (one peer per side) and
    // synced before the replay, so each later message carries only what is new.
    await (await Document.open(logs[0], STREAM)).putText(PATH, "");
    const peers = logs.map((log) => logs.map(() => log.peer()));
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) await runSync(side(peers[a][b]), side(peers[b][a]));
    }
    const docs = await Promise.all(logs.map((log) => Document.open(log, STREAM)));
    return {
      async apply(r, patches) {
        await docs[r].change(patches.map(([index, deleteCount, text]) => ({ op: "splice", path: PATH, index, deleteCount, text })));
      },
      drain(from, to) {
        const out = [];
        for (let m; (m = peers[from][to].generateMessage()); ) out.push(m);
        return out;
      },
      async receive(to, from, msgs) {
        for (const m of msgs) await peers[to][from].receiveMessage(m);
      },
      text: (r) => docs[r].text(PATH),
      // Stored: everlog keeps the events; their encoded size is what the full sync carries.
      stored: () => undefined,
      peer: (r) => side(logs[r].peer()),
    };
  },
};
