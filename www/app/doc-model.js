// The shared document: one `everlog/docs` Document in stream `doc:<room>`, shaped
//   { title: string, date: string, place: string, notes: text }
// The short fields are plain properties written with `put`: two devices writing one while
// apart leave both values (keep-both), listed by `doc.conflicts()` until someone keeps
// one (a `put` that overwrites every side). The notes are a collaborative text edited with
// `splice`: concurrent typing at different places merges character by character.

export const FIELDS = [
  { key: "title", label: "Title", placeholder: "Spring picnic" },
  { key: "date", label: "Date", placeholder: "Saturday 12 April" },
  { key: "place", label: "Place", placeholder: "Riverside park" },
];
export const NOTES = { key: "notes", label: "Notes", placeholder: "Who brings what…" };

export const docStream = (room) => `doc:${room}`;

export const fieldLabel = (key) => [...FIELDS, NOTES].find((f) => f.key === key)?.label ?? key;

/** "/title" (a conflict history path) → "title". */
export const keyOfPath = (path) => String(path).split("/")[1] ?? String(path);

export const quote = (v) => (v === undefined || v === null ? "(removed)" : v === "" ? "(empty)" : `“${v}”`);

/**
 * The one splice that turns `before` into `after` (what an input event did: typing,
 * deleting, pasting over a selection): `{ index, deleteCount, text }`, or null if equal.
 */
export function spliceOf(before, after) {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before[start] === after[start]) start++;
  let end = 0;
  while (end < max - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  // Never cut a surrogate pair in two: positions count UTF-16 code units.
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  if (end > 0 && isLow(before.charCodeAt(before.length - end))) end--;
  return { index: start, deleteCount: before.length - start - end, text: after.slice(start, after.length - end) };
}
const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

/** What one change did, from its patches (`doc.diff` of its author's view before and after). */
export function describePatches(patches) {
  const parts = [];
  for (const p of patches) {
    const [key, at] = p.path ?? [];
    const label = fieldLabel(key);
    if (p.action === "put" && p.path.length === 1) {
      parts.push(p.value?.object === "text" ? `started the ${label.toLowerCase()}` : `set ${label} to ${quote(p.value)}`);
    } else if (p.action === "splice" && at !== undefined) {
      parts.push(`typed ${quote(p.value)} in ${label}`);
    } else if (p.action === "del" && at !== undefined) {
      const n = p.length ?? 1;
      parts.push(`deleted ${n} character${n === 1 ? "" : "s"} in ${label}`);
    } else if (p.action === "del") {
      parts.push(`removed ${label}`);
    }
  }
  return parts.length ? parts.join(", ") : "changed nothing visible in the document";
}

/** Edits; each is one event, the promise resolves once it is durable in IndexedDB. */
export function docCommands(doc) {
  return {
    set: (key, value) => (doc.toJSON()[key] === value && !doc.conflicts([key]).length ? null : doc.put([key], value)),
    /** Keeps one value of a conflict: writing it overwrites every side, on every device. */
    keep: (key, value) => (key === NOTES.key ? doc.putText([key], String(value ?? "")) : doc.put([key], value)),
  };
}
