// The error classes everlog throws to JavaScript. Rust creates them through `makeError`
// (src/wasm/errors.rs); the package re-exports the classes so apps can `instanceof` them.
// `name` is set explicitly (not taken from the constructor) so minifiers cannot change it.

export class EverlogError extends Error {
  constructor(message, code, options) {
    super(message, options);
    this.name = "EverlogError";
    this.code = code;
  }
}

export class ConcurrencyError extends EverlogError {
  constructor(message, details) {
    super(message, "CONCURRENCY");
    this.name = "ConcurrencyError";
    this.stream = details.stream;
    this.expectedVersion = details.expectedVersion;
    this.currentVersion = details.currentVersion;
  }
}

export class StorageError extends EverlogError {
  constructor(message, details, options) {
    super(message, "STORAGE", options);
    this.name = "StorageError";
    this.reason = details.reason;
  }
}

export class DecodeError extends EverlogError {
  constructor(message) {
    super(message, "DECODE");
    this.name = "DecodeError";
  }
}

export class InvalidEventError extends EverlogError {
  constructor(message) {
    super(message, "INVALID_EVENT");
    this.name = "InvalidEventError";
  }
}

export class ClosedError extends EverlogError {
  constructor(message, options) {
    super(message, "CLOSED", options);
    this.name = "ClosedError";
  }
}

export class InternalError extends EverlogError {
  constructor(message) {
    super(message, "INTERNAL");
    this.name = "InternalError";
  }
}

export function makeError(kind, message, details, cause) {
  const options = cause === undefined ? undefined : { cause };
  switch (kind) {
    case "CONCURRENCY": return new ConcurrencyError(message, details);
    case "STORAGE": return new StorageError(message, details, options);
    case "DECODE": return new DecodeError(message);
    case "INVALID_EVENT": return new InvalidEventError(message);
    case "CLOSED": return new ClosedError(message, options);
    case "INTERNAL": return new InternalError(message);
    default: return new TypeError(message);
  }
}
