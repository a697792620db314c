// "My reports" (#/mine), without a login: the reports waiting in this phone's outbox, the ones
// sent from it and the ones a one-time code brought back (the reporter's others), each with
// its stage; and the switch for push notifications.
import { call, myReports } from "./api.js";
import { busy, field, flash, h, mount } from "./dom.js";
import { cityStageName, language, statusTerm, t, when } from "./i18n.js";
import { outboxEntries, removeEntry } from "./outbox.js";
import { pushOn, pushSupported, subscribePush, unsubscribePush } from "./push.js";
import { recoveryBox } from "./recovery.js";
import { sendNow } from "./sender.js";

// The refusals the page can name in the reader's language (the outbox keeps the error's code,
// translated when drawn); others show the server's message.
const KNOWN_ERRORS = { too_many_uploads: "outbox_too_many_uploads",
  photo_too_large: "outbox_err_photo_too_large",
  unsupported_photo_type: "outbox_err_unsupported_photo_type",
  invalid_photo: "outbox_err_invalid_photo",
  upload_checksum_mismatch: "outbox_err_upload_checksum_mismatch",
  validation_failed: "outbox_err_validation_failed" };
const failure = (error) => (error && KNOWN_ERRORS[error.code] ? t(KNOWN_ERRORS[error.code])
  : (error && error.message) || "");

// "Menunggu dikirim" / "Mengirim 60%" / "Tidak terkirim: ..." (the outbox entry's state).
export function progressText(entry) {
  const share = Math.floor(100 * (entry.total_bytes ? entry.sent_bytes / entry.total_bytes : 0));
  if (entry.state === "sending") return `${t("outbox_sending")} ${share}%`;
  if (entry.state === "failed") return `${t("outbox_failed")}: ${failure(entry.error)}`;
  // A photo partly uploaded: the rest goes on from there.
  return share > 0 ? `${t("outbox_waiting")} (${share}% ${t("outbox_partly")})`
    : t("outbox_waiting");
}

// The entry's card, made once and updated in place (its status line is a live region read out
// by screen readers: changed on a new state or every 10% of progress, not on every chunk).
function waitingCard(entry, redraw) {
  let current = entry;
  const again = h("button", { type: "button", class: "secondary" }, t("outbox_send_now"));
  again.addEventListener("click", () => busy(again, async () => {
    const result = await sendNow(current.id);
    if (result.receipt) flash(`${t("outbox_sent")} ${result.receipt.code}`);
    redraw();
  }));
  const drop = h("button", { type: "button", class: "danger" }, t("outbox_delete"));
  drop.addEventListener("click", () => busy(drop, async () => {
    await removeEntry(current.id);
    redraw();
  }));
  const photo = entry.photos.length ? ` · ${t("photo")}: ${Math.round(
    entry.total_bytes / 1024)} kB` : "";
  const status = h("div", { role: "status" });
  const buttons = h("div", {}, again, drop);
  const card = h("li", { class: "mine-item", "data-outbox": entry.id },
    h("strong", {}, entry.report.description.slice(0, 80)),
    h("div", { class: "muted" }, `${when(entry.created_at, entry.report.city)}${photo}`),
    status, buttons);
  card.update = (next) => {
    current = next;
    const share = next.total_bytes ? next.sent_bytes / next.total_bytes : 0;
    const step = `${next.state}:${Math.floor(10 * share)}:${(next.error || {}).code || ""}`;
    if (status.dataset.step !== step) {
      status.dataset.step = step;
      status.dataset.state = next.state;
      status.className = `badge outbox-${next.state}`;
      status.textContent = progressText(next);
    }
    buttons.hidden = next.state === "sending";
  };
  card.update(entry);
  return card;
}

// The last view of each report this page loaded (localStorage "aduan.seen"), shown without a
// signal with a note that it may be old.
const SEEN_KEY = "aduan.seen";
const lastSeen = () => { try { return JSON.parse(localStorage.getItem(SEEN_KEY) || "{}"); }
  catch { return {}; } };

function remember(code, view) {
  const seen = lastSeen();
  seen[code] = { status: view.status, type: view.type, city: view.city,
    stage: (view.stages || {}).city || null, created_at: view.created_at,
    description: (view.description || "").slice(0, 100) };
  localStorage.setItem(SEEN_KEY, JSON.stringify(seen));
}

function stageLine(view) {
  return [h("span", { class: "badge", "data-status": view.status },
    statusTerm(view.status, view.type)),
  view.stage ? ` · ${cityStageName(view.city, view.stage)}` : "",
  ` · ${when(view.created_at, view.city)}`];
}

// One sent report: its code, what it is about, status and stage as the API says now (with
// this device's token), or as last seen.
function sentCard(code, kept) {
  const known = lastSeen()[code];
  const about = h("div", {}, known ? known.description : "");
  const state = h("div", { class: "mine-stage" }, known ? stageLine(known) : "…");
  const item = h("li", { class: "mine-item", "data-code": code },
    h("a", { href: `#/track/${encodeURIComponent(code)}` }, `${t("outbox_sent")} `,
      h("span", { class: "code" }, code)),
    kept.via === "recovered" ? h("span", { class: "muted" }, ` · ${t("mine_recovered")}`) : null,
    about, state);
  call(`/reports/${encodeURIComponent(code)}`, { reporter: code }).then((view) => {
    remember(code, view);
    const fresh = lastSeen()[code];
    about.textContent = fresh.description;
    state.replaceChildren(...stageLine(fresh));
    state.dataset.loaded = "1";
  }).catch((err) => {
    state.append(h("div", { class: "muted" },
      err.code === "report_not_found" ? t("mine_gone") : t("mine_offline")));
  });
  return item;
}

function pushBox() {
  const box = h("section", { class: "card", id: "push", "aria-labelledby": "push-h" },
    h("h2", { id: "push-h" }, t("push_title")));
  if (!pushSupported()) return box.append(h("p", { class: "muted" }, t("push_unsupported")))
    || box;
  const status = h("p", { id: "push-state" }, t(pushOn() ? "push_is_on" : "push_hint"));
  const on = h("button", { type: "button", id: "push-on" }, t("push_on"));
  const off = h("button", { type: "button", id: "push-off", class: "secondary" }, t("push_off"));
  const show = () => { on.hidden = pushOn(); off.hidden = !pushOn();
    status.textContent = t(pushOn() ? "push_is_on" : "push_hint"); };
  on.addEventListener("click", () => busy(on, async () => {
    const result = await subscribePush();
    if (result.state === "denied") flash(t("push_denied"), true);
    else if (result.failed) flash(`${t("push_some_failed")} ${result.failed}`, true);
    show();
  }));
  off.addEventListener("click", () => busy(off, async () => { await unsubscribePush(); show(); }));
  show();
  box.append(status, on, off);
  return box;
}

// A report filed on another phone: its code, then the one-time code to its contact; the
// answer brings the reporter's other reports too.
function recoverBox(redraw) {
  const code = h("input", { type: "text", id: "mine-code", autocapitalize: "characters",
    placeholder: "PDG-2026-7KQ-4M9-X2A" });
  const go = h("button", { type: "button", class: "secondary", id: "mine-recover" },
    t("mine_recover_go"));
  const box = h("section", { class: "card", id: "mine-recover-box" },
    h("h2", {}, t("mine_recover_title")), h("p", { class: "muted" }, t("mine_recover_hint")),
    field(t("code"), code), go);
  go.addEventListener("click", () => {
    const wanted = code.value.trim().toUpperCase();
    if (wanted) box.replaceWith(recoveryBox(wanted, redraw));
  });
  return box;
}

export async function minePage() {
  const outbox = h("ul", { class: "mine", id: "outbox" });
  const sent = h("ul", { class: "mine", id: "sent" });
  const none = h("p", { class: "muted" }, t("mine_none"));
  const outboxCard = h("section", { class: "card", "aria-labelledby": "outbox-h" },
    h("h2", { id: "outbox-h" }, t("outbox_title")), outbox);
  let shown = "";
  // The sent list is drawn again only when a report joined it (each card asks the API).
  function drawSent() {
    const kept = myReports();
    const codes = Object.keys(kept)
      .sort((a, b) => (kept[b].at || "").localeCompare(kept[a].at || ""));
    if (codes.join() === shown) return;
    shown = codes.join();
    sent.replaceChildren(...codes.map((code) => sentCard(code, kept[code])));
    none.hidden = codes.length > 0;
  }
  async function redraw(event) {
    if (!document.body.contains(outbox)) {
      window.removeEventListener("aduan:outbox", redraw);
      return;
    }
    // One just sent replaces the status line's "kept on this phone".
    const done = event && event.detail && event.detail.state === "sent" ? event.detail : null;
    if (done) flash(`${t("outbox_sent")} ${done.code}`);
    const entries = await outboxEntries().catch(() => []);
    outboxCard.hidden = !entries.length;
    const cards = new Map([...outbox.children].map((card) => [card.dataset.outbox, card]));
    const now = entries.map((entry) => {
      const card = cards.get(entry.id) || waitingCard(entry, redraw);
      card.update(entry);
      return card;
    });
    if (now.some((card, i) => outbox.children[i] !== card) || outbox.children.length !== now.length) {
      outbox.replaceChildren(...now);
    }
    drawSent();
  }
  drawSent();
  // The offline note (and the form's "kept on this phone") go when the signal is back.
  const offline = h("p", { class: "flash", id: "offline", hidden: navigator.onLine },
    t("offline_note"));
  const signal = () => {
    if (!document.body.contains(offline)) {
      window.removeEventListener("online", signal);
      window.removeEventListener("offline", signal);
      return;
    }
    offline.hidden = navigator.onLine;
    if (navigator.onLine && document.getElementById("status").textContent === t("outbox_saved")) {
      flash("");
    }
  };
  window.addEventListener("online", signal);
  window.addEventListener("offline", signal);
  mount(h("h1", {}, t("my_reports")), offline,
    outboxCard,
    h("section", { class: "card", "aria-labelledby": "sent-h" },
      h("h2", { id: "sent-h" }, t("mine_sent_title")), none, sent),
    pushBox(), recoverBox(minePage));
  document.documentElement.lang = language();
  window.addEventListener("aduan:outbox", redraw);
  await redraw();
  // (No sending from here: app.js sends on load, on `online` and after a failure, later.)
}
