import { EverlogError } from "./errors.js";
/** A document edit or read that does not fit the document (`reason` "BAD_PATH": no such
 * key, not a list, not a text, past the end; `path` says where), a change event that
 * could not be read ("BAD_CHANGE", `event` is its id), automerge refusing an operation
 * ("AUTOMERGE"), or an edit dropped before it was saved because the log holds another
 * change of this actor where its change would go ("DROPPED": the document was rebuilt
 * from the log). Nothing was changed. */
export class DocumentError extends EverlogError {
  readonly name: "DocumentError";
  readonly code: "DOCUMENT";
  readonly reason: "BAD_PATH" | "BAD_CHANGE" | "AUTOMERGE" | "DROPPED";
  readonly path?: string;
  readonly event?: string;
}
