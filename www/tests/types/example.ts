// A typed usage example: `tsc --noEmit -p www/tests/types` must accept it, and the
// `@ts-expect-error` lines prove the declarations are exact (a looser type would make
// those lines compile, and tsc would then fail on the unused directive).
import init, {
  EventLog, Fold, ConcurrencyError, StorageError, DecodeError, ClosedError, type LogEvent, type Filter, type Projection, type Version,
} from "everlog";
import initToolkit, {
  EventLog as ToolkitLog, type LogEvent as ToolkitEvent, type Consumer, type Decider, type HandlerFailure, type ImportResult,
  type UpcastShape,
} from "everlog/toolkit";
import initDocs, {
  EventLog as DocsLog, Document, DocumentError, EverlogError, type DocPatch, type DocConflict, type DocConflictRecord,
} from "everlog/docs";

interface Item { sku: string; qty: number }

export async function example(): Promise<number> {
  await init();
  const log: EventLog = await EventLog.open("shop", { storage: "indexeddb", durability: "strict" });
  const actor: string = log.actor;
  const e: LogEvent<Item> = await log.append<Item>({ stream: "cart:42", type: "ItemAdded", data: { sku: "sock", qty: 2 } });
  const batch: LogEvent<Item>[] = await log.append<Item>([{ stream: "cart:42", type: "ItemAdded", data: { sku: "hat", qty: 1 } }], { expectedVersion: 1 });
  await log.append({ stream: "cart:42", type: "Submitted", id: "order-9-submit" }, { expectedVersion: "any" });

  const found: LogEvent | undefined = log.get(e.id);
  const filter: Filter = { stream: "cart:42", type: ["ItemAdded"], limit: 100 };
  const items: LogEvent<Item>[] = log.events<Item>(filter);
  const v: Version = log.version();
  const n: number = log.streamVersion("cart:42");

  const total: number = log.fold<number, Item>((s, ev) => s + ev.data.qty, 0, filter);
  const perSku: Record<string, number> = log.fold(Fold.groupSum("sku", "qty"), { stream: "cart:42" });
  const count: number = log.fold(Fold.count());
  const past: number = log.fold<number>((s) => s + 1, 0, { at: { time: Date.parse("2026-11-01") } });
  const atVersion: number = log.fold(Fold.count(), { at: v });

  const view: Projection<number> = log.project<number, Item>("cart", { reducer: (s, ev) => s + ev.data.qty, initial: 0, filter });
  const builtIn: Projection<Record<string, number>> = log.project("skus", { reducer: Fold.groupSum("sku", "qty") });
  const off: () => void = view.subscribe((value: number) => console.log(value + builtIn.value["sock"]!));
  off();
  const unsubscribe = log.subscribe((events: LogEvent[]) => console.log(events.length));
  unsubscribe();
  // Told when the log closes (close(), or its database went away: `cause` says why).
  const offClose: () => void = log.onClose((err: ClosedError) => {
    const reason: string | undefined = err.cause instanceof StorageError ? err.cause.reason : undefined;
    console.log(err.code, reason);
  });
  offClose();
  // @ts-expect-error: the listener gets a ClosedError, not events.
  log.onClose((events: LogEvent[]) => console.log(events.length));
  for (const c of log.conflicts({ stream: "doc:7" })) console.log(c.stream, c.key, c.events.length);

  try {
    await log.append({ stream: "cart:42", type: "X" }, { expectedVersion: "no-stream" });
  } catch (err) {
    if (err instanceof ConcurrencyError) console.log(err.currentVersion + 1, err.code);
    if (err instanceof StorageError) console.log(err.reason.toUpperCase());
  }

  // @ts-expect-error: expectedVersion is a number, "no-stream" or "any"
  await log.append({ stream: "s", type: "T" }, { expectedVersion: "latest" });
  // @ts-expect-error: an event needs a type
  await log.append({ stream: "s" });
  // @ts-expect-error: the count fold's state is a number
  const wrong: string = log.fold(Fold.count());
  // @ts-expect-error: storage is "indexeddb" or "memory"
  await EventLog.open("x", { storage: "localStorage" });

  // Toolkit (the everlog/toolkit entry): named handlers, decider, upcasters, CloudEvents, reverts.
  // @ts-expect-error: the core entry has no toolkit methods
  log.on("ItemAdded", () => {}, { name: "mailer" });
  // @ts-expect-error: nor revert links on its events
  console.log(e.reverts);
  await initToolkit();
  const tk: ToolkitLog = await ToolkitLog.open("shop-tk");
  const te: ToolkitEvent<Item> = await tk.append<Item>({ stream: "cart:42", type: "ItemAdded", data: { sku: "sock", qty: 2 } });
  const mailer: Consumer = tk.on<Item>("ItemAdded", async (ev: ToolkitEvent<Item>) => {
    await fetch(`/mail?sku=${ev.data.sku}&id=${ev.id}`);
  }, {
    name: "mailer",
    retry: { baseMs: 500, maxMs: 60_000 },
    onError: (error: unknown, f: HandlerFailure<Item>) => console.log(error, f.name, f.attempts, f.retryAt, f.event?.data.qty),
  });
  await mailer.idle();
  const running: boolean = mailer.active;
  mailer.stop();
  tk.on(["A", "B"], (ev) => console.log(ev.type), { name: "audit" }).stop();

  interface Withdraw { amount: number }
  const account: Decider<{ balance: number }, Withdraw, { amount: number }> = {
    initial: { balance: 0 },
    evolve: (st, ev) => ({ balance: st.balance + (ev.type === "Deposited" ? ev.data.amount : -ev.data.amount) }),
    decide: (cmd, st) => {
      if (st.balance < cmd.amount) throw new Error("insufficient funds");
      return [{ type: "Withdrawn", data: { amount: cmd.amount } }];
    },
  };
  const decided: ToolkitEvent<{ amount: number }>[] = await tk.decide("acct:1", account, { amount: 5 }, { maxRetries: 3 });

  tk.upcast("UserRegistered", 1, (shape: UpcastShape) => ({ type: shape.type, data: { name: shape.data } }));
  const lines: string = tk.exportCloudEvents({ stream: "cart:42" });
  try {
    const merged: ImportResult = await tk.importCloudEvents(lines);
    console.log(merged.applied, merged.duplicates, merged.pending);
  } catch (err) {
    if (err instanceof DecodeError) console.log(err.code);
  }
  const undo: ToolkitEvent<Item> = await tk.revert<Item>(te.id, { type: "ItemRemoved", data: { sku: "sock", qty: 2 } });
  const link: string | undefined = undo.reverts;
  const by: string[] | undefined = tk.get(te.id)?.revertedBy;

  // @ts-expect-error: a handler needs a name
  tk.on("ItemAdded", () => {}, {});
  // @ts-expect-error: the decider's command type is checked
  await tk.decide("acct:1", account, { amount: "5" });
  // @ts-expect-error: an upcaster returns { type?, data }
  tk.upcast("T", 1, () => 42);
  // @ts-expect-error: exportCloudEvents returns a string, not events
  const notEvents: ToolkitEvent[] = tk.exportCloudEvents();

  await tk.close();
  await log.close();
  console.log(running, decided.length, link, by, notEvents);
  return total + count + n + past + atVersion + batch.length + actor.length + items.length + (found ? 1 : 0) + Object.keys(perSku).length + wrong.length;
}

interface Notes { title: string; body: string; tags: string[] }

// The documents entry: the same API plus Document (one module: its own EventLog).
export async function docsExample(core: EventLog): Promise<number> {
  await initDocs();
  const log: DocsLog = await DocsLog.open("notes");
  const doc: Document<Notes> = await Document.open<Notes>(log, "doc:7");
  const same: Document = await log.document("doc:7");
  const e: LogEvent | null = await doc.put(["title"], "Groceries");
  await doc.putText(["body"], "buy milk");
  await doc.splice(["body"], 4, 0, "oat ");
  await doc.put(["tags"], []);
  await doc.insert(["tags"], 0, "food");
  await doc.delete(["tags", 0]);
  await doc.change([
    { op: "put", path: ["title"], value: "Shopping" },
    { op: "splice", path: ["body"], index: 0, deleteCount: 3, text: "get" },
  ]);
  const notes: Notes = doc.toJSON();
  const text: string = doc.text(["body"]);
  const off: () => void = doc.subscribe((patches: DocPatch[]) => {
    for (const p of patches) if (p.action === "splice") console.log(p.path, p.value.length);
  });
  off();
  const conflicts: DocConflict[] = doc.conflicts(["title"]);
  for (const c of conflicts) for (const v of c.values) console.log(v.value, v.event, v.actor, v.time);
  const history: DocConflictRecord[] = doc.conflictHistory();
  const v = log.version();
  const past: Notes = doc.at(v);
  const patches: DocPatch[] = doc.diff({}, v);
  try {
    await doc.delete(["missing"]);
  } catch (err) {
    if (err instanceof DocumentError) console.log(err.reason, err.path, err.code === "DOCUMENT");
    if (err instanceof EverlogError) console.log(err.code);
  }

  // @ts-expect-error: a log of the core entry lives in the other module and cannot hold a document
  await Document.open(core, "doc:7");
  // @ts-expect-error: an edit names its op
  await doc.change([{ path: ["title"], value: "x" }]);
  // @ts-expect-error: paths are arrays
  await doc.put("title", "x");
  // @ts-expect-error: undefined is not JSON
  await doc.put(["title"], undefined);

  await log.close();
  return notes.title.length + text.length + history.length + past.tags.length + patches.length + (e ? 1 : 0) + same.stream.length;
}
