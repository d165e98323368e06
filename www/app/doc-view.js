// The shared document: three short fields (saved with `put` when the field is left), the
// notes as a collaborative text (every keystroke is a splice), the open conflicts inline
// under their field, and a panel listing every conflict the document ever had: who wrote
// each side, when, and what resolved it.

import { h, mount } from "./dom.js";
import { FIELDS, NOTES, docCommands, fieldLabel, quote } from "./doc-model.js";
import { conflictCard, historyList } from "./conflicts-view.js";
import { notesEditor } from "./notes-editor.js";

export function docView(root, store) {
  const cmd = docCommands(store.doc);
  const inputs = new Map();
  const conflictSlots = new Map();
  const history = h("div.history-wrap");
  const save = (key, value) => Promise.resolve(cmd.set(key, value)).catch((err) => console.error(`could not save ${key}:`, err));

  const fields = FIELDS.map((f) => {
    const input = h("input", { name: f.key, placeholder: f.placeholder, maxlength: 200, autocomplete: "off" });
    input.addEventListener("change", () => save(f.key, input.value));
    inputs.set(f.key, input);
    conflictSlots.set(f.key, h("div"));
    return h("label.field", { dataset: { field: f.key } }, h("span", {}, f.label), input, conflictSlots.get(f.key));
  });
  const notes = h("textarea", { name: NOTES.key, rows: 6, placeholder: NOTES.placeholder, spellcheck: "false" });
  notesEditor(notes, store.doc, NOTES.key);
  conflictSlots.set(NOTES.key, h("div"));

  mount(
    root,
    h("div.grid.doc-grid",
      h("article.card", { "aria-label": "Document" }, h("h2", {}, "Shared document"),
        h("p.muted", {}, "Fields save when you leave them; edit one on two offline devices to see a conflict. The notes merge as you type: two devices can write in them at the same time, even offline."),
        fields,
        h("label.field", { dataset: { field: NOTES.key } }, h("span", {}, NOTES.label), notes, conflictSlots.get(NOTES.key))),
      h("article.card", { "aria-label": "Conflict history" }, h("h2", {}, "Conflict history"), history),
    ),
  );

  function render() {
    const doc = store.doc.toJSON();
    const open = new Map(store.docConflicts().map((c) => [c.key, c]));
    for (const f of FIELDS) {
      const input = inputs.get(f.key);
      if (document.activeElement !== input) input.value = doc[f.key] ?? "";
    }
    for (const [key, slot] of conflictSlots) {
      const c = open.get(key);
      mount(slot, c ? conflictCard({
        title: fieldLabel(key),
        conflict: c,
        describe: (e) => quote(e.value),
        who: store.author,
        same: c.events.every((e) => e.value === c.events[0].value),
        onPick: (e) => Promise.resolve(cmd.keep(key, e.value)).catch((err) => console.error("could not keep it:", err)),
      }) : null);
    }
    mount(history, historyList({ records: store.docHistory(), describe: (e) => quote(e.value), label: fieldLabel, who: store.author }));
  }

  return { render };
}
