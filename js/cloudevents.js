// `log.exportCloudEvents`: the lines of src/toolkit/cloudevents.rs (its docs have the
// mapping), byte for byte, from the events as JS objects and their data texts.
const str = JSON.stringify;

// Code point order: the UTF-8 byte order of the meta map in Rust.
function order(a, b) {
  const x = [...a], y = [...b];
  for (let i = 0; i < x.length && i < y.length; i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

function base64(text) {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function cloudEvents(events, data) {
  let out = "";
  events.forEach((e, i) => {
    const at = e.id.indexOf("@");
    const actor = e.id.slice(at + 1);
    const d = data[i];
    out += `{"specversion":"1.0","id":${str(e.id)},"source":${str("urn:everlog:" + actor)},"type":${str(e.type)}` +
      `,"subject":${str(e.stream)},"time":${str(new Date(e.time).toISOString())},"datacontenttype":"application/json"` +
      (/[\n\r]/.test(d) ? `,"data_base64":${str(base64(d))}` : `,"data":${d}`) +
      `,"everlogactor":${str(actor)},"everlogseq":${str(e.id.slice(0, at))},"everloglamport":${str(String(e.lamport))}`;
    if (e.deps) out += `,"everlogdeps":${str(e.deps.join(" "))}`;
    if (e.key !== undefined) out += `,"everlogkey":${str(e.key)}`;
    if (e.meta) {
      const m = Object.keys(e.meta).sort(order).map((k) => str(k) + ":" + str(e.meta[k]));
      out += `,"everlogmeta":${str("{" + m.join(",") + "}")}`;
    }
    if (e.idempotencyKey !== undefined) out += `,"everlogidempotency":${str(e.idempotencyKey)}`;
    out += "}\n";
  });
  return out;
}
