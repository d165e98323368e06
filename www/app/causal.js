// What each event's author had seen when writing it, for drawing the timeline.
//
// Each event names only the dependencies not implied by its author's previous event, so
// its causal past is: its author's previous event's past, joined with each dependency's
// past, plus itself. Walking the events in the log's total order (consistent with
// causality) gives every event's version vector in one pass. `a` happened before `b`
// exactly when vv(b)[a.actor] >= a.seq; neither before the other means concurrent.

import { idString, parseId } from "./events.js";

export function causalIndex(ordered) {
  const vv = new Map();
  for (const e of ordered) {
    const id = idString(e.id);
    const { actor, seq } = parseId(e.id);
    const past = { ...(vv.get(`${seq - 1}@${actor}`) ?? {}) };
    for (const dep of e.deps ?? []) {
      const d = parseId(dep);
      for (const [a, s] of Object.entries(vv.get(idString(dep)) ?? { [d.actor]: d.seq })) {
        if ((past[a] ?? 0) < s) past[a] = s;
      }
    }
    past[actor] = seq;
    vv.set(id, past);
  }
  return {
    /** The version vector naming everything `id`'s author had seen, itself included. */
    versionAt: (id) => vv.get(idString(id)),
    /** Did `a` happen before (or equal) `b`? */
    knows: (b, a) => {
      const p = parseId(a);
      return (vv.get(idString(b))?.[p.actor] ?? 0) >= p.seq;
    },
  };
}

/** Is event `id` inside the version vector `v`? */
export function inVersion(v, id) {
  const p = parseId(id);
  return (v?.[p.actor] ?? 0) >= p.seq;
}
