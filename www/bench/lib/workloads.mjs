// The workloads, their sizes (default and --quick) and how each figure is read.
// kind: "time" (events per second from the median time), "cold" (setup in one browser,
// measured after a browser restart), "sync" (time plus bytes and round trips), "memory"
// (heap bytes per event, each run in a fresh page: wasm memory never shrinks).

export function workloads({ quick = false, big = false, subscribe = false } = {}) {
  const q = (full, small) => (quick ? small : full);
  const list = [
    {
      id: "appendBatch",
      title: "Batched append + persist",
      what: "events of ~100 B JSON payload in batches of 1,000; each batch awaited until its IndexedDB transaction committed",
      kind: "time",
      params: { n: q(100_000, 10_000), batch: 1000 },
    },
    {
      id: "appendSingle",
      title: "Single awaited appends",
      what: "one event per append, each awaited until committed (one transaction each)",
      kind: "time",
      params: { n: q(1000, 200) },
    },
    {
      id: "coldOpen",
      title: "Cold open + first fold",
      what: "stored events; browser restarted (OS file cache warm); time from open to the first fold result (quantity per SKU)",
      kind: "cold",
      params: { n: q(100_000, 10_000) },
    },
    {
      id: "coldOpenSnapshot",
      run: "coldOpen",
      title: "Cold open with a persisted fold snapshot",
      what: "as cold open, but the fold is a live projection whose snapshot was persisted when the log was closed (no events since): open → projection value",
      kind: "cold",
      params: { n: q(100_000, 10_000), snapshot: true },
    },
    {
      id: "coldOpenSnapshotSince",
      run: "coldOpen",
      title: "Cold open with a persisted fold snapshot and events since",
      what: "as the snapshot cold open, but 1,000 more events (100 with --quick) were appended after the snapshot, in a session without the projection: open → projection value",
      kind: "cold",
      params: { n: q(100_000, 10_000), snapshot: true, since: q(1000, 100) },
    },
    {
      id: "merge",
      title: "Merge of remote events",
      what: "in memory; the receiver holds 1,000 concurrent local events; only the receiver's apply/import is timed",
      kind: "time",
      params: { n: q(100_000, 10_000), local: 1000 },
    },
    {
      id: "foldJs",
      title: "JS reducer fold",
      what: "the same JS reducer over events already in memory; raw = Array.prototype.reduce over plain objects",
      kind: "time",
      memo: true,
      params: { n: q(1_000_000, 100_000) },
    },
    {
      id: "foldBuiltin",
      title: "Built-in fold (groupSum)",
      what: "a fold that runs inside the library (everlog: Fold.groupSum(\"sku\", \"qty\"))",
      kind: "time",
      memo: true,
      params: { n: q(1_000_000, 100_000) },
    },
    {
      id: "sync",
      title: "Sync of two diverged replicas",
      what: "in memory; 1,000 shared events, then each side appended its own events; both sides talk at once; two flights = one round trip",
      kind: "sync",
      params: { n: q(50_000, 5_000), base: 1000 },
    },
    {
      id: "memory",
      title: "Memory per event",
      what: "events appended to an in-memory log in batches of 1,000, measured in a fresh page after gc(); payload = data JSON + stream + type + key",
      kind: "memory",
      params: { n: q(100_000, 10_000) },
    },
    {
      id: "docPaper",
      run: "documents",
      title: "Document: replay of the automerge-paper trace",
      what: "the first transactions of a real single-user editing trace (259,778 in all; the same prefix for every contender), one change per transaction into a collaborative text, in memory; then a full sync to an empty replica (bytes) and the stored size",
      kind: "doc",
      params: { n: q(100_000, 26_000), trace: "automerge-paper.json.gz" },
    },
    {
      id: "docFriends",
      run: "documents",
      title: "Document: replay of the friendsforever trace",
      what: "a real concurrent editing trace (two agents typing at once, 26,078 transactions): one replica per agent, each receiving the other's transactions in the causal past of its next one (Automerge: its changes, applyChanges; Yjs: its updates, applyUpdate; everlog: the logs' sync over peer()), then one change per transaction, in memory; the final text is checked on every replica; then a full sync of replica 0 to an empty replica (bytes) and its stored size",
      kind: "doc",
      params: { n: q(26_078, 10_000), trace: "friendsforever.json.gz" },
    },
  ];
  if (subscribe) {
    // Every replica of the document workloads has a change listener (documents.js).
    for (const w of list.filter((w) => w.kind === "doc")) {
      w.title += ", with a subscriber";
      w.what += "; every replica has a change listener, as a UI would (everlog doc.subscribe, Automerge patchCallback, Yjs observe reading the delta)";
      w.params.subscribe = true;
    }
  }
  if (big) {
    list.splice(3, 0, {
      id: "coldOpen1M",
      run: "coldOpen",
      title: "Cold open + first fold (1M)",
      what: "as cold open, with 1,000,000 stored events (--big)",
      kind: "cold",
      params: { n: 1_000_000 },
    });
  }
  return list;
}
