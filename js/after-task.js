// Runs callbacks once the current task is over: after every microtask it queued, so after
// a whole loop of awaited `receiveMessage` calls, not between two of them. A message on a
// MessageChannel is a task of its own that runs next, and hidden tabs do not throttle it
// as they throttle timers. Used by `Document` (src/wasm/document/mod.rs) to apply and
// report remote changes once per task instead of once per commit.

let queue = [];
let channel = null;

function run() {
  const due = queue;
  queue = [];
  for (const f of due) {
    try {
      f();
    } catch (e) {
      reportError(e);
    }
  }
}

export function afterTask(f) {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = run;
  }
  queue.push(f);
  if (queue.length === 1) channel.port2.postMessage(null);
}
