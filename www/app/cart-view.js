// The cart screen: a small shop, the cart with quantity steppers, the shipping address,
// and any conflicts inline where they happened.

import { h, mount } from "./dom.js";
import {
  CATALOG,
  cartCommands,
  describeCartEvent,
  formatAddress,
  money,
  product,
  total,
} from "./cart-model.js";
import { conflictCard } from "./conflicts-view.js";

const ADDRESS_FIELDS = [
  ["name", "Full name", "name"],
  ["street", "Street", "street-address"],
  ["postcode", "Postcode", "postal-code"],
  ["city", "City", "address-level2"],
];

export function cartView(root, store, session) {
  const cmd = () => cartCommands(store.log, session.room, session.name());
  const shop = h("div.shop");
  const list = h("div.cart-items");
  const totals = h("div.cart-total");
  const addressNow = h("div.address-now");
  const addressConflict = h("div");
  const form = h(
    "form.address-form",
    { onsubmit: (ev) => (ev.preventDefault(), save()) },
    ADDRESS_FIELDS.map(([k, label, ac]) =>
      h("label", {}, h("span", {}, label), h("input", { name: k, autocomplete: ac, maxlength: 120 })),
    ),
    h("button.primary", { type: "submit" }, "Save address"),
  );
  let formDirty = false;
  form.addEventListener("input", () => (formDirty = true));

  mount(
    root,
    intro(),
    h("div.grid",
      h("article.card", {}, h("h2", {}, "Shop"), shop),
      h("article.card", { "aria-label": "Your cart" }, h("h2", {}, "Your cart"), list, totals),
      h("article.card", { "aria-label": "Shipping address" }, h("h2", {}, "Shipping address"), addressNow, addressConflict, form),
    ),
  );

  async function save() {
    const address = Object.fromEntries(new FormData(form).entries());
    await cmd().setAddress(address);
    formDirty = false;
  }

  function render() {
    const cart = store.cart.value;
    const conflicts = store.conflicts(store.streams.cart);
    const bySku = new Map(conflicts.filter((c) => c.key.startsWith("item:")).map((c) => [c.key.slice(5), c]));

    mount(
      shop,
      CATALOG.map((p) =>
        h(
          "div.product",
          { dataset: { sku: p.sku } },
          tile(p),
          h("div.product-name", {}, p.name, h("div.muted", {}, money(p.price))),
          h("button.add", { type: "button", onclick: () => cmd().add(p.sku, cart.items[p.sku]?.qty ?? 0) }, "Add"),
        ),
      ),
    );

    const skus = [...new Set([...Object.keys(cart.items), ...bySku.keys()])];
    mount(
      list,
      skus.length === 0 ? h("p.muted.empty", {}, "Your cart is empty. Add something from the shop.") : null,
      skus.map((sku) => itemRow(sku, cart.items[sku], bySku.get(sku))),
    );
    mount(totals, h("span", {}, "Total"), h("strong", { "data-total": "" }, money(total(cart))));

    const addrConflict = conflicts.find((c) => c.key === "address");
    mount(addressNow, h("p", { class: cart.address ? "" : "muted" }, formatAddress(cart.address)));
    mount(
      addressConflict,
      addrConflict
        ? conflictCard({ title: "Address", conflict: addrConflict, describe: describeCartEvent, onPick: (e) => cmd().resolve(addrConflict, e) })
        : null,
    );
    if (!formDirty && document.activeElement?.form !== form) {
      for (const [k] of ADDRESS_FIELDS) form.elements[k].value = cart.address?.[k] ?? "";
    }
  }

  function itemRow(sku, item, conflict) {
    const p = product(sku);
    const qty = item?.qty ?? 0;
    return h(
      "div.item",
      { dataset: { sku, qty } },
      h(
        "div.item-main",
        tile(p),
        h("div.item-name", {}, p.name, h("div.muted", {}, `${money(p.price)} each`)),
        item
          ? h(
              "div.stepper",
              h("button.dec", { type: "button", "aria-label": `One less ${p.name}`, onclick: () => cmd().setQty(sku, qty - 1) }, "−"),
              h("span.qty", { "aria-live": "polite" }, String(qty)),
              h("button.inc", { type: "button", "aria-label": `One more ${p.name}`, onclick: () => cmd().setQty(sku, qty + 1) }, "+"),
            )
          : h("span.muted", {}, "removed"),
        item ? h("button.remove.ghost", { type: "button", "aria-label": `Remove ${p.name}`, onclick: () => cmd().remove(sku) }, "✕") : null,
      ),
      conflict
        ? conflictCard({ title: p.name, conflict, describe: describeCartEvent, onPick: (e) => cmd().resolve(conflict, e) })
        : null,
    );
  }

  return { render };
}

/** A product's picture: its initials on its colour (no image or emoji font needed). */
export function tile(p) {
  const initials = p.name.split(/[\s-]+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
  return h("span.tile", { "aria-hidden": "true", style: `--tile:${p.color}` }, initials);
}

function intro() {
  return h(
    "details.intro",
    { open: localStorage.getItem("everlog-demo:intro") !== "closed", ontoggle: (ev) => localStorage.setItem("everlog-demo:intro", ev.target.open ? "open" : "closed") },
    h("summary", {}, "Try it: two devices, one cart"),
    h(
      "ol",
      {},
      h("li", {}, "Open this page in a second browser or a private window: that is a second device, with its own copy of the cart."),
      h("li", {}, "Take both offline (DevTools → Network → Offline, or unplug). Everything still works and is saved on each device."),
      h("li", {}, "Change the same quantity, or the address, differently on each. Then go back online."),
      h("li", {}, "Both devices end up with the same cart, and show the conflict with both sides. Pick one: the choice syncs too."),
    ),
    h("p.muted", {}, "The Timeline tab shows every change per device, and lets you go back to any point."),
  );
}
