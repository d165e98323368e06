// Conflicts as a person sees them: both (or all) sides with who wrote them and when, and
// one button per side to keep it. Keeping a side appends a new event on the same key
// whose causal past holds every side, which resolves the conflict on every device once
// it syncs. The history list shows every conflict that ever happened and its outcome.

import { h, when } from "./dom.js";
import { author, dataOf } from "./events.js";

/**
 * A card for one open conflict. `describe(event)` says what a side wrote, `who(event)`
 * who wrote it; `same` (default: equal type and data) says both sides agree.
 */
export function conflictCard({ title, conflict, describe, onPick, who = author, same }) {
  const sides = conflict.events;
  same ??= sides.every((e) => JSON.stringify(dataOf(e)) === JSON.stringify(dataOf(sides[0])) && e.type === sides[0].type);
  return h(
    "div.conflict",
    { role: "group", "aria-label": `Conflict on ${title}`, dataset: { key: conflict.key } },
    h(
      "div.conflict-head",
      h("span.badge.warn", {}, "Conflict"),
      h("span", {}, same ? `${title}: both made the same change while apart` : `${title} was changed on two devices while apart`),
    ),
    h(
      "ul.sides",
      {},
      sides.map((e) =>
        h(
          "li.side",
          { dataset: { id: String(e.id) } },
          h("div.side-what", {}, describe(e)),
          h("div.side-who", {}, h("strong", {}, who(e)), " · ", h("time", {}, when(e.time))),
          h("button.pick", { type: "button", onclick: () => onPick(e) }, same ? "OK" : "Keep this"),
        ),
      ),
    ),
  );
}

/**
 * Every conflict that ever happened on matching keys, newest first.
 * `records`: [{ key, siblings: [event], resolvedBy: event | null }] with events looked up.
 */
export function historyList({ records, describe, label, who = author, empty = "No conflicts yet." }) {
  if (!records.length) return h("p.muted", {}, empty);
  return h(
    "ol.history",
    {},
    [...records].reverse().map((r) =>
      h(
        "li.history-item",
        { dataset: { key: r.key, state: r.resolvedBy ? "resolved" : "open" } },
        h(
          "div.history-head",
          h("strong", {}, label(r.key)),
          r.resolvedBy ? h("span.badge.ok", {}, "resolved") : h("span.badge.warn", {}, "open"),
        ),
        h(
          "ul.history-sides",
          {},
          r.siblings.map((e) =>
            h("li", {}, h("span.by", {}, who(e)), " wrote ", describe(e), h("time.muted", {}, ` at ${when(e.time)}`)),
          ),
        ),
        r.resolvedBy
          ? h(
              "div.history-outcome",
              {},
              "→ ",
              h("span.by", {}, who(r.resolvedBy)),
              r.siblings.some((e) => describe(e) === describe(r.resolvedBy)) ? " kept " : " replaced them with ",
              describe(r.resolvedBy),
              h("time.muted", {}, ` at ${when(r.resolvedBy.time)}`),
            )
          : h("div.history-outcome.muted", {}, "waiting for someone to pick a side"),
      ),
    ),
  );
}
