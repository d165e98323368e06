// A plain <textarea> bound to the document's collaborative text at [key].
//
// Local typing: on every input event, the splice between what the textarea showed before
// and what it shows now becomes one `doc.splice` (one event). Remote typing: the
// document's `subscribe` hands over automerge's patches; the textarea takes the new text
// and the caret moves with the text before it (someone typing earlier in the notes pushes
// the caret right, a deletion before it pulls it left). While local splices are still on
// their way into the log (or an input method composes), remote updates wait, then the
// textarea catches up once.

import { spliceOf } from "./doc-model.js";

export function notesEditor(textarea, doc, key) {
  const current = () => {
    const v = doc.toJSON()[key];
    return typeof v === "string" ? v : "";
  };
  let shown = current();
  let pending = 0;
  let stale = false;
  let composing = false;
  textarea.value = shown;

  // While an input method composes a character, wait for the composed text.
  textarea.addEventListener("input", (ev) => ev.isComposing || save());
  textarea.addEventListener("compositionstart", () => (composing = true));
  textarea.addEventListener("compositionend", () => {
    composing = false;
    save();
  });

  function save() {
    const after = textarea.value;
    const s = spliceOf(shown, after);
    shown = after;
    if (!s) return stale && !pending && update(null);
    pending++;
    // The first edit ever creates the text; later ones splice it.
    const write = typeof doc.toJSON()[key] === "string"
      ? doc.splice([key], s.index, s.deleteCount, s.text)
      : doc.putText([key], after);
    write
      .catch((err) => console.error("could not save the notes:", err))
      .finally(() => {
        pending--;
        if (!pending && !composing && stale) update(null);
      });
  }

  const off = doc.subscribe((patches) => (pending || composing ? (stale = true) : update(patches)));

  /** Shows the document's text; `patches` (or, without them, a diff) move the caret. */
  function update(patches) {
    stale = false;
    const text = current();
    if (text === shown) return; // our own edit coming back, or nothing to show
    if (!patches) {
      const s = spliceOf(shown, text);
      patches = [
        { action: "del", path: [key, s.index], length: s.deleteCount },
        { action: "splice", path: [key, s.index], value: s.text },
      ];
    }
    let [a, b] = [textarea.selectionStart, textarea.selectionEnd];
    for (const p of patches) {
      if (p.path?.[0] !== key || typeof p.path[1] !== "number") continue;
      const at = p.path[1];
      if (p.action === "splice") {
        const n = p.value.length;
        if (at < a) a += n;
        if (at < b) b += n;
      } else if (p.action === "del") {
        const n = p.length ?? 1;
        a = pull(a, at, n);
        b = pull(b, at, n);
      }
    }
    const focused = document.activeElement === textarea;
    textarea.value = shown = text;
    if (focused) textarea.setSelectionRange(Math.min(a, text.length), Math.min(b, text.length));
  }

  return { stop: off };
}

const pull = (pos, at, n) => (pos <= at ? pos : pos - Math.min(n, pos - at));
