// Who wrote an event, for every event of the room.
//
// Cart events carry the writer's display name in `meta.by`. Document edits are automerge
// changes that `everlog/docs` appends itself, without app meta, so each device announces
// its name in the room's `devices:<room>` stream (`DeviceNamed {name}`, key = its actor
// id) when it starts and whenever the name changes. The author of any event is then the
// name its device had announced before writing it (same actor: a lower seq), or its
// `meta.by`, or a short actor id.

import { dataOf, parseId, shortActor } from "./events.js";

export const devicesStream = (room) => `devices:${room}`;

/** Appends a `DeviceNamed` event unless this device's last one already says `name`. */
export async function announceName(log, room, name) {
  const mine = log.events({ stream: devicesStream(room), key: String(log.actor) });
  if ((mine.length && dataOf(mine.at(-1))?.name) === name) return null;
  return log.append({ stream: devicesStream(room), type: "DeviceNamed", key: String(log.actor), data: { name }, meta: { by: name } });
}

/**
 * `{ author(event), forget() }`: the display name behind an event. The names are read
 * from the log once and kept until `forget()` (call it when the log changes).
 */
export function authors(log, room) {
  let names = null;
  function load() {
    names = new Map();
    for (const e of log.events({ stream: devicesStream(room) })) {
      const { actor, seq } = parseId(e.id);
      if (!names.has(actor)) names.set(actor, []);
      names.get(actor).push([seq, dataOf(e)?.name]);
    }
    return names;
  }
  return {
    forget: () => (names = null),
    author(e) {
      if (e.meta?.by) return e.meta.by;
      const { actor, seq } = parseId(e.id);
      const said = (names ?? load()).get(actor) ?? [];
      const before = said.filter(([s]) => s < seq).at(-1) ?? said[0];
      return before?.[1] || shortActor(actor);
    },
  };
}
