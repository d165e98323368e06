// The error class of the documents entry (`everlog/docs`). Rust creates it through
// `makeDocumentError` (src/wasm/document/ops.rs). It extends the package's `EverlogError`,
// so one `instanceof EverlogError` catches every everlog failure.
import { EverlogError } from "./errors.js";

export class DocumentError extends EverlogError {
  constructor(message, reason, path, event) {
    super(message, "DOCUMENT");
    this.name = "DocumentError";
    this.reason = reason;
    if (path !== undefined) this.path = path;
    if (event !== undefined) this.event = event;
  }
}

export function makeDocumentError(reason, message, path, event) {
  return new DocumentError(message, reason, path ?? undefined, event ?? undefined);
}
