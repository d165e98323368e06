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
 * or one of everlog's: `BlockedError` (the upgrade waits for another tab that keeps an older
 * version open), `FormatError` (unsupported stored format), and, as the `cause` of a
 * `ClosedError`, `VersionChangeError` / `DeletedError` (another tab upgraded / deleted the
 * database) or `ConnectionLostError` (the browser closed the connection). */
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
/** The log is closed: by `close()`; because its database went away (`cause` is a
 * `StorageError` whose `reason` says why: `VersionChangeError`, `DeletedError`,
 * `ConnectionLostError`); or after an internal error (`cause` is the `InternalError`). */
export class ClosedError extends EverlogError {
  readonly name: "ClosedError";
  readonly code: "CLOSED";
  readonly cause?: StorageError | InternalError;
}
/** A bug inside everlog (a Rust panic). Every EventLog of the module is closed afterwards. */
export class InternalError extends EverlogError {
  readonly name: "InternalError";
  readonly code: "INTERNAL";
}
