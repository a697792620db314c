// The staff intake desk (#/desk): an operator files a report for a caller of the call centre, a
// visitor at the counter, or what the media, social media or SP4N-LAPOR! carried. The photo is
// optional (a report without one is marked `no_photo` and reviewed by an operator); the place is
// picked on the map or typed as an address. The caller hears the tracking code and their
// tracking link by SMS or email from the notification service, so nobody reads a token out.
import { call, staff, staffCall } from "./api.js";
import { busy, field, flash, h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { cityMap, point } from "./maps.js";
import { categoryName } from "./resident.js";

export const DESK_ROLES = ["operator", "sysadmin"];
// The staff channels (aduan/contracts/reports.py CHANNELS without the residents' own).
const CHANNELS = ["call_centre", "walk_in", "media", "social_media", "sp4n_lapor"];
const TYPES = ["complaint", "aspiration", "information_request"];
const MAX_PHOTOS = 5;

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The types a category takes are the keys of its `types` (aduan/domain/report_types.py; a
// category without them takes every type).
function typesOf(category) {
  return category && category.types ? TYPES.filter((type) => type in category.types) : TYPES;
}

// Whether the category asks for a place with this type: a complaint does unless the category
// says otherwise; an aspiration or an information request only when the category says so.
function needsPlace(category, type) {
  const asks = category && category.types && category.types[type];
  if (asks && asks.location) return asks.location === "required";
  return type === "complaint";
}

function select(name, options, id) {
  return h("select", { name, id }, ...options.map(([value, label]) =>
    h("option", { value }, label)));
}

export async function deskPage() {
  const user = (staff() || {}).user || {};
  const channel = select("channel", CHANNELS.map((c) => [c, t(`ch_${c}`)]), "desk-channel");
  const type = select("type", TYPES.map((c) => [c, t(`type_${c}`)]), "desk-type");
  const category = h("select", { name: "category", id: "desk-category", required: true },
    h("option", { value: "" }, t("choose")));
  const description = h("textarea", { name: "description", id: "desk-description",
    minlength: "10", maxlength: "2000", required: true });
  const name = h("input", { type: "text", name: "name", id: "desk-name", maxlength: "100",
    autocomplete: "off" });
  const phone = h("input", { type: "tel", name: "phone", id: "desk-phone", maxlength: "20",
    autocomplete: "off", placeholder: "0812-3456-7890" });
  const email = h("input", { type: "email", name: "email", id: "desk-email", maxlength: "254",
    autocomplete: "off" });
  const language = select("language", [["id", "Bahasa Indonesia"], ["en", "English"]],
    "desk-language");
  const privacy = select("privacy", ["public", "anonymous", "confidential"]
    .map((p) => [p, t(`privacy_${p}`)]), "desk-privacy");
  const address = h("input", { type: "text", name: "address", id: "desk-address",
    maxlength: "300" });
  const where = h("p", { class: "muted", id: "desk-where", "aria-live": "polite" },
    t("desk_no_point"));
  const mapBox = h("div", { class: "map", id: "desk-map" });
  const clear = h("button", { type: "button", class: "secondary", id: "desk-clear-point",
    hidden: true }, t("desk_clear_point"));
  const photos = h("input", { type: "file", name: "photo", id: "desk-photo",
    accept: "image/jpeg,image/png,image/webp", multiple: true,
    "aria-describedby": "desk-photo-hint" });
  const locationLegend = h("legend", { id: "desk-location-legend" }, t("location"));
  const send = h("button", { type: "submit", id: "desk-send" }, t("send"));
  const receiptBox = h("div", { id: "desk-receipt", "aria-live": "polite" });
  const form = h("form", { class: "card desk", id: "desk-form", novalidate: true },
    h("h1", {}, t("desk_title")),
    h("p", { class: "muted" }, t("desk_hint")),
    h("div", { class: "desk-grid" },
      h("fieldset", {}, h("legend", {}, t("desk_report")),
        field(t("desk_channel"), channel),
        field(t("report_type"), type),
        field(t("category"), category),
        field(t("description"), description),
        field(t("desk_photo"), photos),
        h("p", { class: "muted", id: "desk-photo-hint" }, t("desk_photo_hint"))),
      h("fieldset", {}, h("legend", {}, t("desk_caller")),
        field(t("desk_name"), name),
        field(t("desk_phone"), phone),
        field(t("desk_email"), email),
        field(t("desk_language"), language),
        field(t("privacy"), privacy),
        h("p", { class: "muted" }, t("desk_contact_hint")))),
    h("fieldset", {}, locationLegend,
      field(t("desk_address"), address),
      h("p", { class: "muted", id: "desk-map-label" }, t("desk_map_hint")),
      mapBox, where, clear),
    send);
  mount(receiptBox, form);

  let key = newKey();  // one per report: a retry after a lost answer files it once
  let categories = [];
  let city = user.city || null;
  try {
    const catalogue = await call(`/categories${city ? `?city=${encodeURIComponent(city)}` : ""}`);
    city = catalogue.city;
    categories = catalogue.categories;
    for (const c of categories) category.append(h("option", { value: c.code }, categoryName(c)));
  } catch (err) { flash(`${t("error")}: ${err.message}`, true); }

  const chosen = () => categories.find((c) => c.code === category.value) || null;
  // Only the types the category takes can be chosen; the place is marked optional where the
  // category lets the type go without one.
  function offerTypes() {
    const allowed = typesOf(chosen());
    for (const option of type.options) option.disabled = !allowed.includes(option.value);
    if (!allowed.includes(type.value)) type.value = allowed[0];
    locationLegend.textContent = needsPlace(chosen(), type.value) ? t("location")
      : `${t("location")} (${t("optional")})`;
  }
  category.addEventListener("change", offerTypes);
  type.addEventListener("change", offerTypes);

  const map = await cityMap(mapBox, city || "padang", t("location"));
  const home = { center: map.getCenter(), zoom: map.getZoom() };  // the whole city
  let spot = null;
  let marker = null;
  function place(lat, lon) {
    spot = { lat, lon };
    if (marker) marker.remove();
    marker = point(map, lat, lon);
    map.setView([lat, lon], Math.max(map.getZoom(), 14), { animate: false });
    where.textContent = `${t("desk_point")}: ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    clear.hidden = false;
  }
  function unplace() {
    spot = null;
    if (marker) marker.remove();
    marker = null;
    where.textContent = t("desk_no_point");
    clear.hidden = true;
  }
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
  clear.addEventListener("click", unplace);
  mapBox.dataset.ready = "true";

  function problems() {
    const found = [];
    if (!category.value) found.push(t("category"));
    if (description.value.trim().length < 10) found.push(t("description"));
    if (photos.files.length > MAX_PHOTOS) found.push(`${t("desk_photo")} (≤ ${MAX_PHOTOS})`);
    if (needsPlace(chosen(), type.value) && !spot && !address.value.trim()) {
      found.push(t("location"));
    }
    return found;
  }

  function report() {
    const typed = address.value.trim();
    const body = { city, category: category.value, description: description.value.trim(),
      channel: channel.value, type: type.value, privacy: privacy.value };
    if (spot || typed) body.location = { ...(spot || {}), ...(typed ? { address: typed } : {}) };
    const reporter = { language: language.value };
    for (const [part, input] of [["name", name], ["phone", phone], ["email", email]]) {
      if (input.value.trim()) reporter[part] = input.value.trim();
    }
    body.reporter = reporter;
    return body;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const missing = problems();
    if (missing.length) { flash(`${t("desk_missing")}: ${missing.join(", ")}`, true); return; }
    busy(send, async () => {
      send.textContent = t("sending");
      const filed = report();
      const body = new FormData();
      body.append("report", JSON.stringify(filed));
      for (const file of photos.files) body.append("photo", file);
      try {
        const receipt = await staffCall("/reports", { method: "POST", form: body,
          headers: { "Idempotency-Key": key } }).catch((err) => { throw named(err); });
        key = newKey();
        flash(`${t("desk_filed")}: ${receipt.code}`);
        receiptBox.replaceChildren(receiptCard(receipt, filed.reporter));
        form.reset();
        unplace();
        map.setView(home.center, home.zoom, { animate: false });
        offerTypes();
        receiptBox.scrollIntoView({ block: "start" });
      } finally { send.textContent = t("send"); }
    });
  });
}

// A refusal of the form's fields names them as the form does (`validation_failed` details:
// [{field: "reporter.phone", ...}]).
const LABELS = { phone: "desk_phone", email: "desk_email", name: "desk_name",
  description: "description", address: "desk_address", lat: "location", lon: "location",
  location: "location", category: "category" };
function named(err) {
  if (err.code !== "validation_failed" || !Array.isArray(err.details)) return err;
  const fields = err.details.map((d) => String(d.field || "").split(".").pop());
  const labels = [...new Set(fields.map((f) => t(LABELS[f] || f)))];
  err.message = `${t("desk_invalid")}: ${labels.join(", ")}`;
  return err;
}

// What the operator tells the caller: the code, and where the tracking link went. The token is
// never shown here: it reaches the caller only in their own SMS or email.
function receiptCard(receipt, reporter) {
  const sentTo = [reporter.phone ? `SMS ${reporter.phone}` : null,
    reporter.email ? `email ${reporter.email}` : null].filter(Boolean);
  return h("section", { class: "card receipt", "aria-labelledby": "desk-receipt-h" },
    h("h2", { id: "desk-receipt-h" }, t("desk_filed")),
    h("p", { class: "code", id: "desk-code" }, receipt.code),
    h("p", { id: "desk-sent-to" }, sentTo.length
      ? `${t("desk_link_sent")}: ${sentTo.join(", ")}` : t("desk_no_contact")),
    sentTo.length ? h("p", { class: "muted" }, t("desk_if_missing")) : null,
    receipt.tracking_url ? h("p", { class: "muted" }, `${t("desk_public_page")}: `,
      h("span", { id: "desk-tracking-url" }, receipt.tracking_url)) : null,
    h("p", {}, h("a", { href: `#/staff/report/${encodeURIComponent(receipt.code)}`,
      id: "desk-open" }, t("desk_open_report"))));
}
