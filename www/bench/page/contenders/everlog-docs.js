// everlog's documents entry in the documents workload (see ../documents.js), through its
// public JS API:
//   import init, { EventLog, Document } from "everlog/docs";
//   const doc = await Document.open(log, "doc:7"); await doc.change([...ops]); doc.text(path)
// One Document.change per transaction (one event), in a memory log. The bare specifier
// "everlog/docs" is resolved by the page's import map to the package's documents entry; this
// module is its own bundle, so a package without that entry never breaks the baselines.
import init, { Document, EventLog } from "everlog/docs";

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
};
