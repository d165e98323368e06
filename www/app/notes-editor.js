// A plain <textarea> bound to the document's collaborative text at [key].
//
// Local typing: on every input event, the splice between what the textarea showed before
// and what it shows now becomes one `doc.splice` (one event). Remote typing: the
// document's `subscribe` hands over automerge's patches; the textarea takes the new text
// and the caret moves with the text before it (someone typing earlier in the notes pushes
// the caret right, a deletion before it pulls it left). While local splices are still on
// their way into the log (or an input method composes), remote updates wait, then the
// textarea catches up once. Remote changes reach the document before its subscribers
// (they are told after the task that received them), so typing may meet a document that
// holds remote text the textarea does not show yet: the keystroke is then moved past that
// text (as the caret would have been) and the textarea catches up at once.

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
  let rebased = false;
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
    if (!s) return stale && !pending && update(null);
    const now = doc.toJSON()[key];
    // The first edit ever creates the text; later ones splice it.
    if (typeof now !== "string") {
      shown = after;
      return track(doc.putText([key], after));
    }
    const remote = now === shown ? null : spliceOf(shown, now);
    shown = after;
    if (!remote) return track(doc.splice([key], s.index, s.deleteCount, s.text));
    // The document moved under the textarea: the keystroke lands where it meant to.
    const [from, to] = [moved(s.index, remote), moved(s.index + s.deleteCount, remote)];
    const write = doc.splice([key], from, Math.max(0, to - from), s.text);
    textarea.value = shown = current();
    if (document.activeElement === textarea) textarea.setSelectionRange(from + s.text.length, from + s.text.length);
    // Patches reported later start before this: the next update works from the text.
    rebased = true;
    track(write);
  }

  function track(write) {
    pending++;
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
    if (rebased) [patches, rebased] = [null, false];
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

/** Where position `i` of a text is once splice `r` was applied to it. */
const moved = (i, r) => {
  if (i <= r.index) return i;
  if (i >= r.index + r.deleteCount) return i + r.text.length - r.deleteCount;
  return r.index + r.text.length; // inside what r replaced: after what replaced it
};

const pull = (pos, at, n) => (pos <= at ? pos : pos - Math.min(n, pos - at));
