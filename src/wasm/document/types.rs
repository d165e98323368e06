//! TypeScript declarations of `Document` (written by hand, like `super::super::types`;
//! they land in the docs build's `everlog.d.ts` next to the core declarations, so
//! `interface EventLog` below merges with the core's `class EventLog`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
/** Where a value sits in a document: map keys and list indexes from the root (`[]`). */
export type DocPath = (string | number)[];

/** A nested object as a patch reports it (its content follows in further patches). */
export type DocObject = { object: "map" | "list" | "text" | "table" };

/** One change to a document, as `subscribe` and `diff` report it. */
export type DocPatch =
  | { action: "put"; path: DocPath; value: Json | DocObject; conflict: boolean }
  | { action: "insert"; path: DocPath; values: (Json | DocObject)[] }
  | { action: "splice"; path: DocPath; value: string }
  | { action: "inc"; path: DocPath; value: number }
  | { action: "del"; path: DocPath; length?: number }
  | { action: "other"; path: DocPath; detail: string };

/** One edit of `Document.change`. */
export type DocEdit =
  | { op: "put"; path: DocPath; value: Json }
  | { op: "putText"; path: DocPath; text: string }
  | { op: "delete"; path: DocPath }
  | { op: "insert"; path: DocPath; index: number; value: Json }
  | { op: "splice"; path: DocPath; index: number; deleteCount: number; text: string };

/** One of several concurrent values of a property, and the event that wrote it. */
export interface DocValue {
  value: Json;
  /** The event id (`"<seq>@<actor>"`); null only for a change not in the log. */
  event: string | null;
  actor: string | null;
  /** The event's hybrid-logical time (ms since the epoch). */
  time: number | null;
}

/** A property that holds several concurrent values (keep-both). */
export interface DocConflict {
  path: DocPath;
  /** Every value; the last is the one `toJSON()` shows. */
  values: DocValue[];
}

/** A conflict in the document's history. */
export interface DocConflictRecord {
  /** `"/title"`, `"/items/0/name"`. */
  path: string;
  /** The events whose writes were concurrent, in the log's total order. */
  siblings: string[];
  /** The event that overwrote (or deleted) all of them; null while open. */
  resolvedBy: string | null;
}

/** A collaborative JSON document kept in one stream of an `EventLog` (automerge inside).
 * Every edit is one event; remote edits arrive with the log's sync. */
export class Document<T = { [key: string]: Json }> {
  private constructor();
  /** Opens the document of `stream` (the same state when it is already open). */
  static open<T = { [key: string]: Json }>(log: EventLog, stream: string): Promise<Document<T>>;
  readonly stream: string;
  /** The document as plain JSON (texts as strings). */
  toJSON(): T;
  /** The string of the text at `path`. */
  text(path: DocPath): string;
  /** Sets a map key or replaces a list element; resolves with the event once durable. */
  put(path: DocPath, value: Json): Promise<LogEvent | null>;
  /** Creates (or replaces) a collaborative text (edited with `splice`). */
  putText(path: DocPath, text: string): Promise<LogEvent | null>;
  /** Removes a map key or a list element. */
  delete(path: DocPath): Promise<LogEvent | null>;
  /** Inserts into the list at `path`. */
  insert(path: DocPath, index: number, value: Json): Promise<LogEvent | null>;
  /** Text edit; positions count UTF-16 code units, like JavaScript strings. */
  splice(path: DocPath, index: number, deleteCount: number, text: string): Promise<LogEvent | null>;
  /** Several edits as one event (all or nothing); null when they changed nothing. */
  change(edits: DocEdit[]): Promise<LogEvent | null>;
  /**
   * Calls `listener` with the patches of every change, local or remote, several changes per
   * call; returns an unsubscribe function.
   *
   * When: for an edit made here, synchronously when it is committed, before its promise
   * resolves (with the patches of anything received and not reported yet). For changes
   * received (a `Peer`, `connect()`, another tab), once after the JavaScript task that
   * received them, once its microtasks have run (a `MessageChannel` message): messages
   * received in one task, awaited one by one or not, give one call with all their patches.
   * Reads before that call (`toJSON`, `text`, …) already see the changes; their patches
   * still come in that one call, never twice.
   */
  subscribe(listener: (patches: DocPatch[]) => void): () => void;
  /** Properties with concurrent values (under `path`, if given), with who wrote each and when. */
  conflicts(path?: DocPath): DocConflict[];
  /** Every conflict the document ever had, and what resolved it. */
  conflictHistory(): DocConflictRecord[];
  /** The document as it was at a past version of the log (read-only). */
  at(version: Version): T;
  /** The patches from the document at version `from` to the one at `to`. */
  diff(from: Version, to: Version): DocPatch[];
  /** Change events of the stream that could not be read (skipped): `DocumentError`s with reason "BAD_CHANGE". */
  readonly rejected: Error[];
  free(): void;
}

export interface EventLog {
  /** `Document.open(log, stream)`. */
  document<T = { [key: string]: Json }>(stream: string): Promise<Document<T>>;
}
"#;
