// Reading events as the package hands them out, in one place.
//
// An event id is "seq@actor" (actor = 32 hex digits). Who wrote an event is carried in
// its meta (`by`: the display name the user chose on that device); when is its
// hybrid-logical `time` in ms.

/** Splits an event id into { actor, seq }. Accepts "seq@actor" or an { actor, seq } object. */
export function parseId(id) {
  if (typeof id === "object" && id) return { actor: String(id.actor), seq: Number(id.seq) };
  const at = String(id).indexOf("@");
  return { actor: String(id).slice(at + 1), seq: Number(String(id).slice(0, at)) };
}

export function idString(id) {
  if (typeof id === "object" && id) return `${id.seq}@${id.actor}`;
  return String(id);
}

/** The payload as a value, whether the package gives parsed JSON or JSON text. */
export function dataOf(e) {
  return typeof e.data === "string" ? JSON.parse(e.data) : e.data;
}

/** The display name of the author, falling back to a short actor id. */
export function author(e) {
  return e.meta?.by || shortActor(parseId(e.id).actor);
}

export function shortActor(actor) {
  return String(actor).slice(0, 6);
}

/** Events sorted in the log's total order (lamport, actor, seq), the order folds see. */
export function totalOrder(events) {
  return [...events].sort((a, b) => {
    if (a.lamport !== b.lamport) return Number(a.lamport) - Number(b.lamport);
    const x = parseId(a.id), y = parseId(b.id);
    if (x.actor !== y.actor) return x.actor < y.actor ? -1 : 1;
    return x.seq - y.seq;
  });
}
