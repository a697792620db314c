// Residents: submit a report with a camera photo and the device's location; track it by code.
// A report is kept on the phone first (outbox.js) and sent from there (sender.js): without a
// signal it waits and goes when the phone is back online.
import { ApiFailure, call, myReports, rememberReport, reporterToken } from "./api.js";
import { busy, field, flash, h, mount, showError } from "./dom.js";
import { keepReport, removeEntry } from "./outbox.js";
import { sendNow } from "./sender.js";
import { photoGallery } from "./photos.js";
import { cityStageName, cityStages, language, statusTerm, t, term, when } from "./i18n.js";
import { cityMap, point } from "./maps.js";
import { nearbyBox } from "./nearby.js";
import { pushReportBox } from "./push.js";
import { reporterComments } from "./reporter_comments.js";
import { recoveryBox } from "./recovery.js";

export function categoryName(category) {
  return (language() === "en" ? category.name_en : category.name_id) || category.code;
}

let catalogue = null;

// Category code → name in the chosen language (the catalogue is fetched once per page load).
export async function categoryNames() {
  catalogue = catalogue || call("/categories").catch(() => ({ categories: [] }));
  return new Map((await catalogue).categories.map((c) => [c.code, categoryName(c)]));
}

export async function categoryLabel(code) {
  return (await categoryNames()).get(code) || code;
}

// The report types (aduan/domain/report_types.py); what each category asks of each type (a
// photo, a location: `required` or `optional`) is the catalogue's `types`.
const REPORT_TYPES = ["complaint", "aspiration", "information_request"];

export async function submitPage() {
  const photo = h("input", { type: "file", accept: "image/*", capture: "environment",
    required: true, name: "photo", "aria-describedby": "photo-hint" });
  const type = h("select", { name: "type", id: "report-type" },
    ...REPORT_TYPES.map((code) => h("option", { value: code }, term("ty", code))));
  const category = h("select", { required: true, name: "category" },
    h("option", { value: "" }, t("choose")));
  const description = h("textarea", { required: true, minlength: "10", maxlength: "2000",
    name: "description" });
  const address = h("input", { type: "text", maxlength: "300", name: "address" });
  const email = h("input", { type: "email", name: "email", autocomplete: "email" });
  const phone = h("input", { type: "tel", name: "phone", autocomplete: "tel", maxlength: "20" });
  const privacy = h("select", { name: "privacy" },
    ...["public", "anonymous", "confidential"].map((p) => h("option", { value: p },
      t(`privacy_${p}`))));
  const where = h("p", { class: "muted", id: "where", "aria-live": "polite" },
    t("no_location"));
  const mapBox = h("div", { class: "map", id: "submit-map" });
  const locate = h("button", { type: "button", class: "secondary", id: "locate" }, t("locate"));
  const nearby = nearbyBox(); // the same problem already filed nearby: follow it instead
  const send = h("button", { type: "submit", id: "send" }, t("send"));
  // Without a signal the report is kept on the phone and sent later (outbox.js): say so.
  const offline = h("p", { class: "flash", id: "offline-note", hidden: navigator.onLine },
    t("offline_note"));
  const onLine = () => {
    offline.hidden = navigator.onLine;
    if (!document.body.contains(offline)) {
      window.removeEventListener("online", onLine);
      window.removeEventListener("offline", onLine);
    }
  };
  window.addEventListener("online", onLine);
  window.addEventListener("offline", onLine);
  const photoField = field(t("photo"), photo);
  const photoHint = h("p", { class: "muted", id: "photo-hint" }, t("photo_hint"));
  const locationLabel = h("label", { id: "location-label" }, t("location"));
  const form = h("form", { class: "card", id: "submit-form", novalidate: true },
    h("h1", {}, t("submit_title")),
    field(t("report_type"), type),
    field(t("category"), category),
    photoField, photoHint,
    field(t("description"), description),
    locationLabel, mapBox, where, locate, nearby.box,
    field(t("address"), address),
    field(t("email"), email),
    field(t("phone_optional"), phone),
    field(t("privacy"), privacy),
    offline, send);
  mount(form);

  let city = null;
  let location = null;
  // The phone's own reading (with its accuracy) when the photo was taken: sent beside the
  // report's point (which may be picked on the map) as a second proof.
  let device = null;
  let marker = null;
  let categories = [];
  // What the chosen category asks of the chosen type; a category that does not take the type
  // is not offered for it.
  const needs = () => {
    const chosen = categories.find((c) => c.code === category.value);
    return (chosen && chosen.types && chosen.types[type.value])
      || { photo: "required", location: "required" };
  };
  function fitForm() {
    const kept = category.value;
    category.replaceChildren(h("option", { value: "" }, t("choose")),
      ...categories.filter((c) => !c.types || c.types[type.value])
        .map((c) => h("option", { value: c.code }, categoryName(c))));
    category.value = [...category.options].some((o) => o.value === kept) ? kept : "";
    const asked = needs();
    photo.required = asked.photo === "required";
    photoField.querySelector("label").textContent = t(photo.required ? "photo" : "photo_optional");
    photoHint.hidden = !photo.required;
    locationLabel.textContent = t(asked.location === "required" ? "location" : "location_optional");
  }
  type.addEventListener("change", fitForm);
  category.addEventListener("change", fitForm);
  try {
    const catalogue = await call("/categories");
    city = catalogue.city;
    categories = catalogue.categories;
    fitForm();
  } catch (err) { showError(err); }
  const map = await cityMap(mapBox, city || "padang", t("location"));

  function place(lat, lon, accuracy) {
    location = { lat, lon };
    if (marker) marker.remove();
    marker = point(map, lat, lon);
    map.setView([lat, lon], Math.max(map.getZoom(), 13), { animate: false });
    where.textContent = `${t("located")}: ${lat.toFixed(5)}, ${lon.toFixed(5)}`
      + (accuracy ? ` (±${Math.round(accuracy)} m)` : "");
    nearby.show(city, category.value, location);
  }
  category.addEventListener("change", () => nearby.show(city, category.value, location));
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
  const reading = (pos) => ({ lat: pos.coords.latitude, lon: pos.coords.longitude,
    accuracy_m: pos.coords.accuracy, taken_at: new Date(pos.timestamp).toISOString() });
  function findMe() {
    if (!navigator.geolocation) return;
    where.textContent = t("locating");
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        device = reading(pos);
        place(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
      },
      () => { where.textContent = t("no_location"); },
      { enableHighAccuracy: true, timeout: 15000 });
  }
  locate.addEventListener("click", findMe);
  findMe();
  // A fresh reading when the photo is taken (the point on the map stays as chosen).
  photo.addEventListener("change", () => navigator.geolocation
    && navigator.geolocation.getCurrentPosition((pos) => { device = reading(pos); }, () => {},
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const asked = needs();
    const noPlace = !location && asked.location === "required";
    if ((!photo.files.length && asked.photo === "required") || !category.value
        || description.value.trim().length < 10 || noPlace) {
      flash(noPlace ? t("no_location") : `${t("photo")}, ${t("category")}, ${t("description")}`,
        true);
      return;
    }
    busy(send, async () => {
      send.textContent = t("sending");
      let progress = () => {};
      const report = { category: category.value, type: type.value,
        description: description.value.trim(), channel: "web", privacy: privacy.value,
        // The form sends a point (the map's); without one, where the place is optional, the
        // address typed or no location.
        location: location
          ? { ...location, ...(address.value.trim() ? { address: address.value.trim() } : {}) }
          : (address.value.trim() ? { address: address.value.trim() } : null),
        reporter: { language: language(), ...(email.value.trim() ? { email: email.value.trim() } : {}),
          ...(phone.value.trim() ? { phone: phone.value.trim() } : {}) } };
      if (city) report.city = city;
      if (device) report.device_location = device;
      try {
        // The original File (EXIF as the camera wrote it), never redrawn on a canvas.
        const entry = await keepReport(report, [...photo.files].slice(0, 1));
        // The button says how far the photo has gone ("Mengirim 40%"), in 10% steps.
        progress = (event) => {
          const d = event.detail || {};
          if (d.id !== entry.id || d.state !== "sending" || !d.total_bytes) return;
          const text = `${t("outbox_sending")} ${10 * Math.floor(10 * d.sent_bytes / d.total_bytes)}%`;
          if (send.textContent !== text) send.textContent = text;
        };
        window.addEventListener("aduan:outbox", progress);
        const result = await sendNow(entry.id);
        // The message stays on the next page (the router clears the status line first).
        const then = (hash, message) => {
          window.addEventListener("hashchange", () => flash(message), { once: true });
          window.location.hash = hash;
        };
        if (result.receipt) {
          then(`#/track/${encodeURIComponent(result.receipt.code)}`,
            `${t("sent")} ${result.receipt.code}`);
        } else if (result.missing) {
          then("#/mine", ""); // filed meanwhile by another tab of the app: listed there
        } else if (result.later || result.busy) {
          // No signal: "kept on this phone"; the server busy or away (5xx, 429): kept, and sent
          // again (not blamed on the signal).
          then("#/mine", t(result.error && !(result.error instanceof ApiFailure)
            ? "outbox_saved" : "outbox_kept"));
        } else {
          // Refused (a photo or field the server does not take): the form stays to be fixed.
          await removeEntry(entry.id);
          throw result.error;
        }
      } finally {
        window.removeEventListener("aduan:outbox", progress);
        send.textContent = t("send");
      }
    });
  });
}

// The stages of the report's city (its own view: Kiniko's four for Padang, Sigap's three for
// Depok, ...), as the workflow view places the report in them.
function stageBar(city, current) {
  const order = cityStages(city).map((stage) => stage.code);
  const at = order.indexOf(current);
  return h("ol", { class: "stages", "aria-label": t("status") },
    ...order.map((stage, i) => h("li", {
      class: i === at ? "current" : i < at ? "done" : "",
      "aria-current": i === at ? "step" : null,
    }, cityStageName(city, stage))));
}

function historyList(entries, options, city, type) {
  return h("ol", { class: "history" }, ...entries.map((e) => h("li", {},
    h("strong", {}, statusTerm(e.to, type)), " · ", h("span", { class: "muted" }, when(e.at, city)),
    e.by && e.by.agency ? ` · ${e.by.agency}` : "",
    e.public_response ? h("div", {}, e.public_response) : null,
    e.note ? h("div", { class: "muted" }, e.note) : null,
    photoGallery(e.photos, t("evidence"), options))));
}

// A referral names the vertical body (PDAM, PLN, ...) and how a resident reaches its desk.
function referralInfo(referral) {
  if (!referral) return null;
  const name = (language() === "en" && referral.name_en) || referral.name_id || referral.code;
  const contact = referral.contact || {};
  const ways = ["phone", "email", "website", "address"].filter((k) => contact[k])
    .map((k) => h("li", {}, `${t(`contact_${k}`)}: ${contact[k]}`));
  return h("div", { class: "referral", id: "referral" },
    h("p", {}, `${t("referred_to")}: `, h("strong", {}, name)),
    ways.length ? h("ul", {}, ...ways) : h("p", { class: "muted" }, t("no_contact_on_record")));
}

// The reporter's buttons are the actions the server offers them now (the workflow view's
// `actions`), never a status list of this page's own.
// An information request is answered, not resolved: its reporter's buttons say so.
const ANSWERED = { confirm: "confirm_answer", reopen: "reopen_answer" };

function reporterActions(code, workflow, reload, type) {
  const say = (key) => t(type === "information_request" ? ANSWERED[key] : key);
  if (!workflow) return null;
  const allowed = new Set((workflow.actions || []).map((a) => a.name));
  const box = h("section", { class: "card", "aria-labelledby": "actions-h" },
    h("h2", { id: "actions-h" }, t("actions")));
  const act = (action, json, button) => busy(button, async () => {
    await call(`/reports/${encodeURIComponent(code)}/actions/${action}`,
      { method: "POST", json, reporter: code });
    flash(t("done_action"));
    reload();
  });
  if (allowed.has("confirm")) {
    const confirm = h("button", { type: "button", id: "confirm" }, say("confirm"));
    confirm.addEventListener("click", () => act("confirm", {}, confirm));
    box.append(confirm);
  }
  if (allowed.has("reopen")) {
    const note = h("textarea", { maxlength: "2000", id: "reopen-note" });
    const reopen = h("button", { type: "button", class: "danger", id: "reopen" }, say("reopen"));
    reopen.addEventListener("click", () => {
      if (!note.value.trim()) { flash(t("note_required"), true); return; }
      act("reopen", { note: note.value.trim() }, reopen);
    });
    box.append(field(t("reopen_note"), note), reopen);
  }
  if (workflow.rating) {
    box.append(h("p", {}, `${t("rated")}: ${workflow.rating.score}/5`));
  } else if (allowed.has("rate")) {
    const score = h("select", { id: "score" }, ...[5, 4, 3, 2, 1].map((n) =>
      h("option", { value: String(n) }, String(n))));
    const comment = h("input", { type: "text", maxlength: "1000", id: "rate-comment" });
    const rate = h("button", { type: "button", id: "rate" }, t("rate"));
    rate.addEventListener("click", () => act("rate", { score: Number(score.value),
      ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) }, rate));
    box.append(field(t("score"), score), field(t("comment"), comment), rate);
  }
  return box.childElementCount > 1 ? box : null;
}

// `token`: a tracking link's fragment (#/track/<code>/<token>, aduan/infra/tracking_links.py)
// carries the reporter's token; it never reaches the server. The page keeps it as a report
// filed from this browser would, and takes it out of the address bar and the history.
export async function trackPage(code, token) {
  if (code && token) {
    rememberReport(code, token);
    window.history.replaceState(null, "", `#/track/${encodeURIComponent(code)}`);
  }
  const input = h("input", { type: "text", name: "code", value: code || "",
    autocapitalize: "characters", placeholder: "PDG-2026-7KQ-4M9-X2A" });
  const form = h("form", { class: "card", id: "track-form" }, h("h1", {}, t("track_title")),
    field(t("code"), input), h("button", { type: "submit" }, t("show")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    window.location.hash = `#/track/${encodeURIComponent(input.value.trim().toUpperCase())}`;
  });
  const mine = Object.keys(myReports());
  const list = mine.length ? h("section", { class: "card" }, h("h2", {}, t("my_reports")),
    h("ul", {}, ...mine.reverse().map((c) => h("li", {}, h("a", {
      href: `#/track/${encodeURIComponent(c)}` }, c))))) : null;
  const detail = h("div", { id: "report" });
  mount(form, detail, list);
  if (!code) return;

  async function load() {
    try {
      const view = await call(`/reports/${encodeURIComponent(code)}`, { reporter: code });
      const workflow = reporterToken(code) ? await call(
        `/reports/${encodeURIComponent(code)}/workflow`, { reporter: code }) : null;
      render(view, workflow);
    } catch (err) {
      // A report the public may not see answers like a missing one: its reporter, on a device
      // without the token, gets the way back in all the same (it tells a stranger nothing).
      detail.replaceChildren(...(err.code === "report_not_found" && !reporterToken(code)
        ? [recoveryBox(code, load)] : []));
      showError(err);
    }
  }

  async function render(view, workflow) {
    const mapBox = h("div", { class: "map" });
    const history = workflow ? workflow.history : view.history;
    const evidence = (workflow ? workflow.history : []).flatMap((e) => e.photos || []);
    const responses = [
      ...history.filter((e) => e.public_response)
        .map((e) => ({ at: e.at, text: e.public_response,
          by: (e.by && e.by.agency) || (e.by && e.by.role) || "" })),
      ...(view.comments || []).filter((c) => c.by !== "reporter")
        .map((c) => ({ at: c.at, text: c.text, by: c.agency || term("role", c.by) })),
    ];
    // Everyone who may see the report sees its stage (the workflow view is the reporter's).
    const stage = ((workflow || view).stages || {}).city;
    detail.replaceChildren(
      h("section", { class: "card", "aria-labelledby": "report-h" },
        h("h1", { id: "report-h" }, view.code),
        h("p", {}, h("span", { class: "badge", id: "report-status",
          "data-status": view.status }, statusTerm(view.status, view.type)),
        " · ", await categoryLabel(view.category), " · ",
        h("span", { id: "report-created" }, when(view.created_at, view.city))),
        stage ? stageBar(view.city, stage) : null,
        h("p", {}, view.description),
        view.agencies.length ? h("p", {}, `${t("agencies")}: ${view.agencies.join(", ")}`) : null,
        referralInfo(view.referral),
        photoGallery(view.photos, t("photos"), { reporter: view.code }),
        mapBox,
        h("button", { type: "button", class: "secondary", onclick: load }, t("refresh"))),
      responses.length ? h("section", { class: "card", id: "responses" },
        h("h2", {}, t("responses")),
        h("ul", {}, ...responses.map((r) => h("li", {}, h("span", { class: "muted" },
          `${when(r.at, view.city)}${r.by ? ` · ${r.by}` : ""}`), h("div", {}, r.text))))) : "",
      evidence.length ? h("section", { class: "card", id: "evidence" },
        h("h2", {}, t("evidence")),
        photoGallery(evidence, t("evidence"), { reporter: view.code })) : "",
      h("section", { class: "card", id: "history" }, h("h2", {}, t("history")),
        historyList(history, { reporter: view.code }, view.city, view.type)),
      reporterComments(code, view, load) || "",
      reporterToken(code) ? "" : recoveryBox(code, load),
      reporterActions(code, workflow, load, view.type) || "",
      pushReportBox(view.code) || "",
    );
    const map = await cityMap(mapBox, view.city, t("location"));
    const spot = view.location;
    if (spot && typeof spot.lat === "number") {
      point(map, spot.lat, spot.lon);
      map.setView([spot.lat, spot.lon], 13, { animate: false });
    }
  }
  await load();
}
