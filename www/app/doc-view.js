// The shared document: a few fields anyone in the room can edit, each saved as one event
// when the field loses focus, and a panel listing every conflict the document ever had,
// who wrote each side, when, and how it was resolved.

import { h, mount, when } from "./dom.js";
import { FIELDS, describeDocEvent, docCommands, fieldLabel } from "./doc-model.js";
import { conflictCard, historyList } from "./conflicts-view.js";
import { author } from "./events.js";

export function docView(root, store, session) {
  const cmd = () => docCommands(store.log, session.room, session.name());
  const inputs = new Map();
  const notes = new Map();
  const conflictSlots = new Map();
  const history = h("div.history-wrap");

  const fields = FIELDS.map((f) => {
    const input =
      f.kind === "area"
        ? h("textarea", { name: f.key, rows: 4, placeholder: f.placeholder, maxlength: 2000 })
        : h("input", { name: f.key, placeholder: f.placeholder, maxlength: 200, autocomplete: "off" });
    input.addEventListener("change", () => cmd().set(f.key, input.value));
    input.addEventListener("input", () => (input.dataset.dirty = "1"));
    inputs.set(f.key, input);
    notes.set(f.key, h("div.field-note.muted"));
    conflictSlots.set(f.key, h("div"));
    return h("label.field", { dataset: { field: f.key } }, h("span", {}, f.label), input, notes.get(f.key), conflictSlots.get(f.key));
  });

  mount(
    root,
    h("div.grid.doc-grid",
      h("article.card", { "aria-label": "Document" }, h("h2", {}, "Shared document"),
        h("p.muted", {}, "Edit a field and leave it to save. Edit the same field on two devices while offline to see a conflict."),
        fields),
      h("article.card", { "aria-label": "Conflict history" }, h("h2", {}, "Conflict history"), history),
    ),
  );

  function render() {
    const doc = store.doc.value;
    const lastBy = lastWriters(store);
    const open = new Map(store.conflicts(store.streams.doc).map((c) => [c.key, c]));
    for (const f of FIELDS) {
      const input = inputs.get(f.key);
      const value = doc.fields[f.key] ?? "";
      if (document.activeElement !== input) {
        input.value = value;
        delete input.dataset.dirty;
      }
      const w = lastBy.get(f.key);
      mount(notes.get(f.key), w ? `${author(w)} · ${when(w.time)}` : "not set yet");
      const c = open.get(f.key);
      mount(
        conflictSlots.get(f.key),
        c ? conflictCard({ title: f.label, conflict: c, describe: describeDocEvent, onPick: (e) => cmd().resolve(c, e) }) : null,
      );
    }
    mount(history, historyList({ records: store.history(store.streams.doc), describe: describeDocEvent, label: fieldLabel }));
  }

  return { render };
}

/** The last event (in the log's total order) that wrote each field. */
function lastWriters(store) {
  const out = new Map();
  for (const e of store.log.events({ stream: store.streams.doc })) if (e.key) out.set(e.key, e);
  return out;
}
