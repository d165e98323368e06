/** Base class of every error everlog throws; `code` is stable across versions. */
export class EverlogError extends Error {
  readonly code: "CONCURRENCY" | "STORAGE" | "DECODE" | "INVALID_EVENT" | "CLOSED" | "INTERNAL" | "DOCUMENT";
}
/** `append(..., { expectedVersion })` found the stream at another version. Nothing was appended. */
export class ConcurrencyError extends EverlogError {
  readonly name: "ConcurrencyError";
  readonly code: "CONCURRENCY";
  readonly stream: string;
  readonly expectedVersion: number | "no-stream" | "any";
  readonly currentVersion: number;
}
/** The storage failed; nothing of the operation was kept. `reason` is the DOMException name
 * where one applies (`QuotaExceededError`, `VersionError`, `InvalidStateError`, `AbortError`, …)
 * or `BlockedError` (an upgrade waits for another tab) / `FormatError` (unsupported stored format). */
export class StorageError extends EverlogError {
  readonly name: "StorageError";
  readonly code: "STORAGE";
  readonly reason: string;
}
/** Bytes (a sync message, a stored record) that are not valid everlog data. */
export class DecodeError extends EverlogError {
  readonly name: "DecodeError";
  readonly code: "DECODE";
}
/** An event (local or remote) breaks the rules: empty stream, oversized data, bad id, … */
export class InvalidEventError extends EverlogError {
  readonly name: "InvalidEventError";
  readonly code: "INVALID_EVENT";
}
/** The log was closed (by `close()`, by another tab upgrading the database, or after an internal error). */
export class ClosedError extends EverlogError {
  readonly name: "ClosedError";
  readonly code: "CLOSED";
}
/** A bug inside everlog (a Rust panic). Every EventLog of the module is closed afterwards. */
export class InternalError extends EverlogError {
  readonly name: "InternalError";
  readonly code: "INTERNAL";
}
