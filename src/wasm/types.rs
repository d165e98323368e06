//! The TypeScript declarations of the public API, written by hand.
//!
//! The classes are marked `skip_typescript` and declared here instead: their methods take
//! overloads (`fold(reducer, initial, filter)` / `fold(Fold, filter)`) and generics
//! (`Fold<S>`, `Projection<S>`) that wasm-bindgen cannot derive from Rust signatures.
//! Nothing in the public API is `any`; `tsc --noEmit` over `www/tests/types/example.ts`
//! checks these declarations against real use.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
/** A JSON value: what event `data` can hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An event to append. `id` is an optional idempotency key. */
export interface NewEvent<D = Json> {
  stream: string;
  type: string;
  key?: string;
  data?: D;
  meta?: Record<string, string>;
  id?: string;
}

/** An event of the log (immutable). */
export interface LogEvent<D = Json> {
  /** `"<seq>@<actor>"`. */
  id: string;
  stream: string;
  type: string;
  key?: string;
  data: D;
  meta?: Record<string, string>;
  idempotencyKey?: string;
  lamport: number;
  /** Hybrid-logical wall time, ms since the epoch. */
  time: number;
  /** Causal dependencies not implied by the author's previous event. */
  deps?: string[];
}

/** A version vector: `{ [actor]: highest contiguous seq }`. */
export type Version = Record<string, number>;

export interface Filter {
  stream?: string;
  streamPrefix?: string;
  type?: string | string[];
  key?: string;
  /** A past state: a version, or every event at or before a time (ms). */
  at?: Version | { time: number };
  limit?: number;
}

export type ExpectedVersion = number | "no-stream" | "any";

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
}

export interface OpenOptions {
  /** Default: "indexeddb" where IndexedDB exists, else "memory". */
  storage?: "indexeddb" | "memory";
  /** IndexedDB transaction durability; default "strict". */
  durability?: "strict" | "relaxed";
}

export type Reducer<S, D = Json> = (state: S, event: LogEvent<D>) => S;

export interface ConflictRecord {
  stream: string;
  key: string;
  /** Every event that was a sibling while the conflict was open, in the total order. */
  siblings: string[];
  /** The event whose causal past held every sibling; null while still open. */
  resolvedBy: string | null;
}

export interface Conflict<D = Json> {
  stream: string;
  key: string;
  /** The concurrent events (siblings), in the total order. */
  events: LogEvent<D>[];
}

export interface ProjectionOptions<S, D = Json> {
  reducer: Reducer<S, D> | Fold<S>;
  initial?: S;
  filter?: Filter;
}

/** A built-in fold that runs in Rust. */
export class Fold<S = unknown> {
  private constructor();
  /** Number of events. */
  static count(): Fold<number>;
  /** Sum of the numeric `data[field]`. */
  static sum(field: string): Fold<number>;
  /** `{ [data[key]]: sum of data[field] }`. */
  static groupSum(key: string, field: string): Fold<Record<string, number>>;
  /** `{ [event.key]: data }` of the last event per key. */
  static latest<D = Json>(): Fold<Record<string, D>>;
  /** `{ [event.key]: data[] }`: the current values per key, several when concurrent. */
  static register<D = Json>(): Fold<Record<string, D[]>>;
  /** Frees the Rust side now (optional: it is also freed by the garbage collector). */
  free(): void;
  /** @internal */
  readonly __everlogFold: string;
  /** @internal phantom: the state type. */
  readonly __state?: S;
}

/** A live fold, kept up to date as events arrive (local or remote). */
export class Projection<S = unknown> {
  private constructor();
  readonly name: string;
  readonly value: S;
  /** Calls `listener` after every change; returns a function that unsubscribes. */
  subscribe(listener: (value: S) => void): () => void;
  /** Stops updating (the last value stays readable). */
  close(): void;
  free(): void;
}

/** Sync with one other replica over any transport (a fresh one per connection). */
export class Peer {
  private constructor();
  /** The next message to send, or null when there is nothing to say. */
  generateMessage(): Uint8Array | null;
  /** Applies a message from the other side; resolves once its events are durable. */
  receiveMessage(bytes: Uint8Array): Promise<void>;
  /** Events not yet confirmed by, and not yet received from, the other side. */
  progress(): SyncProgress;
  free(): void;
}

export interface SyncProgress {
  /** False until the other side has announced its version. */
  known: boolean;
  toSend: number;
  toReceive: number;
}

export type ConnectionStatus = "connecting" | "syncing" | "online" | "offline" | "error" | "closed";

/** The WebSocket link to the relay; dispatches "status" and "progress" events. */
export interface Connection extends EventTarget {
  readonly status: ConnectionStatus;
  readonly progress: SyncProgress;
  /** Set when the relay refused or the link failed: `{ code, message }`. */
  readonly lastError: { code: number; message: string } | null;
  /** When the relay last confirmed every local event (ms since the epoch). */
  readonly lastSyncedAt: number | null;
  close(): void;
}

export interface ConnectOptions {
  room: string;
  token: string;
}

/** An offline-first, collaborative event log. */
export class EventLog {
  private constructor();
  static open(name: string, options?: OpenOptions): Promise<EventLog>;
  /** Deletes the IndexedDB database of a log (close it in every tab first). */
  static deleteDatabase(name: string): Promise<void>;
  /** This replica's actor id (32 hex digits). */
  readonly actor: string;
  readonly name: string;
  /** True after `close()`, or once the database went away (another tab upgraded or deleted
   * it, or the browser closed the connection): every call then throws `ClosedError`. */
  readonly closed: boolean;
  append<D = Json>(event: NewEvent<D>, options?: AppendOptions): Promise<LogEvent<D>>;
  append<D = Json>(events: NewEvent<D>[], options?: AppendOptions): Promise<LogEvent<D>[]>;
  /** By id (`"<seq>@<actor>"`) or idempotency key. */
  get<D = Json>(id: string): LogEvent<D> | undefined;
  events<D = Json>(filter?: Filter): LogEvent<D>[];
  streamVersion(stream: string): number;
  version(): Version;
  fold<S, D = Json>(reducer: Reducer<S, D>, initial: S, filter?: Filter): S;
  fold<S>(fold: Fold<S>, filter?: Filter): S;
  project<S, D = Json>(name: string, options: ProjectionOptions<S, D>): Projection<S>;
  subscribe<D = Json>(listener: (events: LogEvent<D>[]) => void): () => void;
  conflicts<D = Json>(filter?: Filter): Conflict<D>[];
  /** Every conflict that ever happened, open or resolved (ids of its events). */
  conflictHistory(filter?: Filter): ConflictRecord[];
  /** Sync over any transport. */
  peer(): Peer;
  /** Sync with the relay over WebSocket (`ws://host/sync`). */
  connect(url: string, options: ConnectOptions): Connection;
  /** Calls `listener` once when the log closes: after `close()` (a `ClosedError` without
   * `cause`), or when its database went away under it (`cause` is the `StorageError` whose
   * `reason` says why: `VersionChangeError`, `DeletedError`, `ConnectionLostError`); the
   * error is the one every later call gets. On a log already closed it is called at once
   * (in a microtask). Returns a function that removes the listener. */
  onClose(listener: (error: ClosedError) => void): () => void;
  close(): Promise<void>;
  free(): void;
}
"#;
