// `log.decide(stream, { initial, evolve, decide }, command, { maxRetries? })`: the loop of
// src/wasm/decide.rs (its docs have the rules), over the log's own events() and append().
const typeError = (m) => new TypeError(m);

function fn(decider, k) {
  const f = Reflect.get(decider, k);
  if (typeof f !== "function") throw typeError(`decide: decider.${k} must be a function`);
  return f;
}

function maxRetries(options) {
  if (options === undefined || options === null) return 2;
  const n = Reflect.get(options, "maxRetries");
  if (n === undefined) return 2;
  if (typeof n === "number" && n >= 0 && Number.isInteger(n) && n <= 1e6) return n;
  throw typeError("decide: maxRetries must be a non-negative integer");
}

function clone(v) {
  if (typeof v !== "object" || v === null) return v;
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

function draftsIn(stream, out) {
  const list = Array.isArray(out) ? out : out === undefined || out === null ? [] : [out];
  return list.map((d) => {
    if (typeof d !== "object" || d === null) throw typeError("decide must return an event draft or an array of them");
    const s = Reflect.get(d, "stream");
    if (typeof s === "string" && s !== stream) {
      throw typeError(`a decision on stream ${JSON.stringify(stream)} may only append to it, not to ${JSON.stringify(s)}`);
    }
    const copy = Object.assign({}, d);
    copy.stream = stream;
    return copy;
  });
}

export async function decideOn(log, stream, decider, command, options) {
  if (typeof decider !== "object" || decider === null) throw typeError("decide expects { initial, evolve, decide }");
  const initial = decider.initial;
  const evolve = fn(decider, "evolve");
  const decide = fn(decider, "decide");
  const retries = maxRetries(options);
  for (let attempt = 0; ; attempt++) {
    const events = log.events({ stream });
    const state = events.reduce((s, e) => evolve(s, e), clone(initial));
    const drafts = draftsIn(stream, await decide(command, state));
    if (drafts.length === 0) return [];
    try {
      return await log.append(drafts, { expectedVersion: events.length === 0 ? "no-stream" : events.length });
    } catch (e) {
      if (!(Object(e) === e && e.code === "CONCURRENCY" && attempt < retries)) throw e;
    }
  }
}
