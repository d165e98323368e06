// A small shared document: a few named fields, each written by `FieldSet` events keyed by
// the field name, in stream `doc:<room>`. Two people editing the same field while apart
// leave a conflict that the document shows, and its history keeps, after it is resolved.

import { dataOf } from "./events.js";

export const FIELDS = [
  { key: "title", label: "Title", kind: "text", placeholder: "Spring picnic" },
  { key: "date", label: "Date", kind: "text", placeholder: "Saturday 12 April" },
  { key: "place", label: "Place", kind: "text", placeholder: "Riverside park" },
  { key: "notes", label: "Notes", kind: "area", placeholder: "Who brings what…" },
];

export const docStream = (room) => `doc:${room}`;
export const emptyDoc = () => ({ fields: {}, events: 0 });

export function docReducer(state, e) {
  if (e.type !== "FieldSet" || !e.key) return state;
  return { fields: { ...state.fields, [e.key]: dataOf(e)?.value ?? "" }, events: state.events + 1 };
}

export const fieldLabel = (key) => FIELDS.find((f) => f.key === key)?.label ?? key;

export function describeDocEvent(e) {
  const v = dataOf(e)?.value ?? "";
  return v === "" ? "(empty)" : `“${v}”`;
}

export function docCommands(log, room, by) {
  const stream = docStream(room);
  return {
    set: (key, value) => log.append({ stream, type: "FieldSet", key, data: { value }, meta: { by } }),
    resolve: (conflict, chosen) =>
      log.append({
        stream,
        type: "FieldSet",
        key: conflict.key,
        data: dataOf(chosen),
        meta: { by, resolves: conflict.events.map((e) => String(e.id)).join(" ") },
      }),
  };
}
