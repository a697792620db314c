// While a resident files: the reports already filed near the place in the same category
// (GET /reports/nearby), so they can follow one ("me too", POST /reports/<code>/followers:
// its public steps by email or SMS, once they confirm with the link of the one message that
// asks) instead of filing the same problem again; and the pages a follower's "confirm" and
// "stop following" links open.
import { call } from "./api.js";
import { busy, field, flash, h, mount } from "./dom.js";
import { language, t, term, when } from "./i18n.js";

function meToo(report) {
  const email = h("input", { type: "email", autocomplete: "email", maxlength: "254",
    id: `follow-email-${report.code}` });
  const phone = h("input", { type: "tel", autocomplete: "tel", maxlength: "20",
    id: `follow-phone-${report.code}` });
  const go = h("button", { type: "button", class: "follow-send" }, t("follow_send"));
  const form = h("div", { class: "follow-form", hidden: true },
    field(t("email_short"), email), field(t("phone_short"), phone), go);
  const open = h("button", { type: "button", class: "secondary me-too",
    "aria-expanded": "false" }, t("me_too"));
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) email.focus();
  });
  go.addEventListener("click", () => {
    if (!email.value.trim() && !phone.value.trim()) { flash(t("follow_needs_contact"), true); return; }
    busy(go, async () => {
      await call(`/reports/${encodeURIComponent(report.code)}/followers`, { method: "POST",
        json: { language: language(), ...(email.value.trim() ? { email: email.value.trim() } : {}),
          ...(phone.value.trim() ? { phone: phone.value.trim() } : {}) } });
      // The same answer whether or not the address followed already: say what to do next.
      form.replaceWith(h("p", { class: "following", role: "status" },
        `${t("follow_sent")} ${report.code}`));
      open.remove();
      flash(t("follow_sent_short"));
    });
  });
  return [open, form];
}

function entry(report, city) {
  return h("li", { "data-code": report.code },
    h("a", { href: `#/track/${encodeURIComponent(report.code)}` }, report.code), " ",
    h("span", { class: "badge" }, term("st", report.status)), " ",
    h("span", { class: "muted" }, `${Math.round(report.distance_m)} m · ${when(report.created_at, city)}`
      + (report.followers ? ` · ${report.followers} ${t("followers")}` : "")),
    h("div", {}, report.description),
    ...meToo(report));
}

// A box that lists the reports near (lat, lon) in `category` of `city` when `show` is called;
// empty (hidden) while there is none or nothing to ask yet.
export function nearbyBox() {
  const list = h("ul", { class: "nearby-list" });
  const box = h("section", { class: "nearby", id: "nearby", hidden: true,
    "aria-live": "polite", "aria-labelledby": "nearby-h" },
  h("h2", { id: "nearby-h" }, t("nearby_title")),
  h("p", { class: "muted" }, t("nearby_intro")), list);
  let asked = "";
  async function show(city, category, location) {
    if (!category || !location) { box.hidden = true; return; }
    const params = new URLSearchParams({ category, lat: location.lat.toFixed(6),
      lon: location.lon.toFixed(6), ...(city ? { city } : {}) });
    const key = params.toString();
    if (key === asked) return;
    asked = key;
    try {
      const { items } = await call(`/reports/nearby?${params}`);
      if (key !== asked) return; // a later question was asked meanwhile
      list.replaceChildren(...items.map((item) => entry(item, city)));
      box.hidden = !items.length;
    } catch { box.hidden = true; }
  }
  return { box, show };
}

// #/unfollow/<code>/<follower>/<token>: the link in a follower's messages. The token stays in
// the fragment (never sent to the server); the page takes it out of the address bar and sends
// it in a header when the resident confirms.
export function unfollowPage(code, follower, token) {
  window.history.replaceState(null, "", "#/unfollow");
  if (!code || !follower || !token) { mount(h("p", {}, t("not_found"))); return; }
  const stop = h("button", { type: "button", id: "unfollow" }, t("unfollow"));
  const card = h("section", { class: "card", id: "unfollow-card" },
    h("h1", {}, t("unfollow_title")), h("p", {}, `${t("unfollow_ask")} ${code}?`), stop);
  stop.addEventListener("click", () => busy(stop, async () => {
    await call(`/reports/${encodeURIComponent(code)}/followers/${encodeURIComponent(follower)}`,
      { method: "DELETE", headers: { "X-Unfollow-Token": token } });
    card.replaceChildren(h("h1", {}, t("unfollow_title")),
      h("p", { class: "following", role: "status", id: "unfollowed" },
        `${t("unfollowed")} ${code}`));
  }));
  mount(card);
}

// #/follow/<code>/<follower>/<token>: the link in the one message that asks a new follower to
// confirm (double opt-in). As #/unfollow: the token stays in the fragment, leaves the address
// bar and is sent in a header, on a click (so a mail scanner opening links confirms nothing).
export function followPage(code, follower, token) {
  window.history.replaceState(null, "", "#/follow");
  if (!code || !follower || !token) { mount(h("p", {}, t("not_found"))); return; }
  const yes = h("button", { type: "button", id: "confirm-follow" }, t("follow_confirm"));
  const card = h("section", { class: "card", id: "follow-card" },
    h("h1", {}, t("follow_title")), h("p", {}, `${t("follow_ask")} ${code}?`), yes);
  yes.addEventListener("click", () => busy(yes, async () => {
    await call(`/reports/${encodeURIComponent(code)}/followers/${encodeURIComponent(follower)}/confirm`,
      { method: "POST", headers: { "X-Follow-Token": token } });
    card.replaceChildren(h("h1", {}, t("follow_title")),
      h("p", { class: "following", role: "status", id: "followed" },
        `${t("following")} ${code}`));
  }));
  mount(card);
}
