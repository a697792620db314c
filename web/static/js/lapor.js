// SP4N-LAPOR! in the console. #/lapor: the connector's state per city (last import, linked
// reports, follow-ups waiting, failures) and the city's topic → category mapping the importer
// files LAPOR! reports by (operators read it, the sysadmin edits it: PUT/DELETE
// /lapor/topics/<id>). On a linked report's page (imported from LAPOR! or forwarded there):
// its sync state (GET /reports/<code>/lapor).
import { staff, staffCall } from "./api.js";
import { busy, field, flash, h, mount, showError } from "./dom.js";
import { t, term, when } from "./i18n.js";
import { categoryName } from "./resident.js";

export const LAPOR_ROLES = ["operator", "sysadmin"];
const SYNC_ROLES = ["operator", "sysadmin", "leader"];
const LAPOR_BODY = "SP4N-LAPOR";  // the vertical body (aduan/data/catalogues)

const role = () => (((staff() || {}).user) || {}).role;

// The mapping API's refusals said in the page's language (the code stays shown beside it).
async function saying(work) {
  try { return await work(); } catch (err) {
    const key = `lapor_err_${err && err.code}`;
    if (t(key) !== key) err.message = t(key);
    throw err;
  }
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 120) return `${Math.round(seconds)} ${t("lapor_seconds")}`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} ${t("lapor_minutes")}`;
  return `${(seconds / 3600).toFixed(1)} ${t("hours_short")}`;
}

function statusCard(status) {
  const rows = status.cities.map((c) => h("tr", { "data-city": c.city },
    h("td", {}, c.city), h("td", {}, c.enabled ? t("lapor_on") : t("lapor_off")),
    h("td", {}, c.last_import ? when(c.last_import.last_run_at || c.last_import.updated_at
      || c.last_import.updated_since) : "—"),
    h("td", {}, String(c.imported)), h("td", {}, String(c.forwarded)),
    h("td", {}, String(c.pending)),
    h("td", { class: c.failing ? "late" : null }, String(c.failing))));
  // The importer's last run failed (token refused, LAPOR! down), then each report whose
  // last follow-up failed.
  const errors = status.cities.flatMap((c) => [
    ...(c.last_import && c.last_import.last_error ? [h("li", { class: "late" },
      `${c.city} · ${t("lapor_import_failed")}: ${c.last_import.last_error.reason || "—"} · `,
      when(c.last_import.last_error.at))] : []),
    ...c.recent_errors.map((e) => h("li", {},
      h("a", { href: `#/staff/report/${encodeURIComponent(e.code || "")}` }, e.code || "—"),
      ` · ${e.tracking_id || "—"} · ${t("lapor_error")}: ${e.reason || "—"} · ${when(e.at)}`))]);
  const columns = ["lapor_city", "lapor_connector", "lapor_last_import", "lapor_imported",
    "lapor_forwarded", "lapor_pending", "lapor_failing"];
  return h("section", { class: "card", id: "lapor-status" }, h("h2", {}, t("lapor_status")),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ...columns.map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, ...rows))),
    errors.length ? h("ul", { id: "lapor-errors" }, ...errors) : null);
}

function categorySelect(categories, current, id) {
  return h("select", { name: "category", id },
    h("option", { value: "", selected: !current }, t("lapor_no_category")),
    ...categories.map((c) => h("option", { value: c.code, selected: c.code === current },
      `${categoryName(c)} (${c.code})`)));
}

function topicRow(topic, categories, editable, reload) {
  const cells = [h("td", {}, topic.topic_id), h("td", {}, topic.name || "—"),
    h("td", {}, topic.parent_id || "—")];
  if (!editable) {
    return h("tr", { "data-topic": topic.topic_id }, ...cells,
      h("td", {}, topic.category ? `${topic.category_name || ""} (${topic.category})`
        : t("lapor_no_category")));
  }
  const choice = categorySelect(categories, topic.category, `topic-${topic.topic_id}`);
  choice.setAttribute("aria-label", `${t("category")} ${topic.topic_id}`);
  const save = h("button", { type: "button", class: "save" }, t("admin_save"));
  const remove = h("button", { type: "button", class: "secondary remove" }, t("lapor_remove"));
  save.addEventListener("click", () => busy(save, () => saying(async () => {
    await staffCall(`/lapor/topics/${encodeURIComponent(topic.topic_id)}`, { method: "PUT",
      json: { category: choice.value || null } });
    flash(`${t("admin_saved")}: ${topic.topic_id}`);
    await reload();
  })));
  remove.addEventListener("click", () => busy(remove, () => saying(async () => {
    await staffCall(`/lapor/topics/${encodeURIComponent(topic.topic_id)}`,
      { method: "DELETE" });
    flash(`${t("lapor_removed")}: ${topic.topic_id}`);
    await reload();
  })));
  return h("tr", { "data-topic": topic.topic_id }, ...cells,
    h("td", {}, choice, " ", save, " ", remove));
}

function addForm(categories, reload) {
  const id = h("input", { type: "text", name: "topic_id", id: "lapor-new-id", required: true,
    pattern: "[A-Za-z0-9_\\-]{1,40}", autocomplete: "off" });
  const name = h("input", { type: "text", name: "name", id: "lapor-new-name",
    maxlength: "200" });
  const parent = h("input", { type: "text", name: "parent_id", id: "lapor-new-parent",
    pattern: "[A-Za-z0-9_\\-]{1,40}", autocomplete: "off" });
  const category = categorySelect(categories, "", "lapor-new-category");
  const save = h("button", { type: "submit", id: "lapor-add" }, t("lapor_add"));
  const form = h("form", { class: "card", id: "lapor-add-form" }, h("h2", {}, t("lapor_add")),
    h("p", { class: "muted" }, t("lapor_add_hint")),
    field(t("lapor_topic_id"), id), field(t("lapor_topic_name"), name),
    field(t("lapor_parent"), parent), field(t("category"), category), save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, () => saying(async () => {
      const body = { category: category.value || null };
      if (name.value.trim()) body.name = name.value.trim();
      if (parent.value.trim()) body.parent_id = parent.value.trim();
      await staffCall(`/lapor/topics/${encodeURIComponent(id.value.trim())}`,
        { method: "PUT", json: body });
      flash(`${t("admin_saved")}: ${id.value.trim()}`);
      form.reset();
      await reload();
    }));
  });
  return form;
}

export async function laporPage() {
  const editable = role() === "sysadmin";
  const status = h("div", { id: "lapor-status-holder", "aria-live": "polite" });
  const mapping = h("section", { class: "card", id: "lapor-topics" });
  const adding = h("div", {});
  mount(h("h1", {}, t("lapor_title")), h("p", { class: "muted" }, t("lapor_hint")), status,
    mapping, adding);
  let categories = [];
  const reload = async () => {
    try {
      const found = await staffCall("/lapor/topics");
      const columns = ["lapor_topic_id", "lapor_topic_name", "lapor_parent", "category"];
      mapping.replaceChildren(h("h2", {}, t("lapor_mapping")),
        h("p", { class: "muted", id: "lapor-fallback" },
          `${t("lapor_fallback")}: ${found.fallback_category}`),
        found.topics.length ? h("div", { class: "table-wrap" }, h("table", { id: "topics" },
          h("thead", {}, h("tr", {}, ...columns.map((k) => h("th", { scope: "col" }, t(k))))),
          h("tbody", {}, ...found.topics.map((topic) =>
            topicRow(topic, categories, editable, reload)))))
          : h("p", { class: "muted" }, t("empty")));
    } catch (err) { showError(err); }
  };
  try {
    const city = ((staff() || {}).user || {}).city;
    categories = (await staffCall(`/categories${city ? `?city=${encodeURIComponent(city)}`
      : ""}`)).categories;
    status.replaceChildren(statusCard(await staffCall("/lapor/status")));
  } catch (err) { showError(err); }
  if (editable) adding.replaceChildren(addForm(categories, reload));
  await reload();
  mapping.dataset.ready = "true";
}

// A follow-up sent: the status it told LAPOR! of, or a staff comment; with the answer given.
function followUpName(sent) {
  const name = sent.status === "comment" ? t("lapor_kind_comment") : term("st", sent.status);
  return sent.kind === "response" ? `${name} (${t("lapor_kind_response")})` : name;
}

// Whether a report is linked to LAPOR!: imported from it (the staff view's `external`), or
// forwarded to it (the workflow view's `referral`).
export function laporLinked(report, workflow) {
  return (report.external && report.external.system === "sp4n_lapor")
    || (workflow.referral && workflow.referral.code === LAPOR_BODY);
}

// The sync state of a linked report, for the staff who may read it; nothing otherwise.
export function laporBox(code, report, workflow) {
  if (!laporLinked(report, workflow) || !SYNC_ROLES.includes(role())) return null;
  const box = h("section", { class: "card", id: "lapor-sync", "aria-live": "polite" },
    h("h2", {}, "SP4N-LAPOR!"), h("p", { class: "muted" }, t("loading")));
  staffCall(`/reports/${encodeURIComponent(code)}/lapor`).then((sync) => {
    const sent = sync.exported || [];
    // replaceChildren would print a null as "null": the card's parts are built with h().
    box.replaceChildren(...h("div", {}, h("h2", {}, "SP4N-LAPOR!"),
      h("p", { id: "lapor-tracking" }, `${t("lapor_tracking_id")}: `,
        h("strong", {}, sync.tracking_id || t("lapor_not_yet")), " · ",
        t(`lapor_dir_${sync.direction}`), " · ",
        h("span", { class: ["failing", "blocked"].includes(sync.state) ? "badge late" : "badge",
          "data-state": sync.state }, t(`lapor_state_${sync.state}`))),
      h("p", { id: "lapor-pending" }, `${t("lapor_pending")}: `,
        sync.pending === null ? "—" : String(sync.pending),
        sync.lag_seconds !== null ? ` · ${t("lapor_lag")}: ${duration(sync.lag_seconds)}` : "",
        sync.sending ? ` · ${t("lapor_sending")}` : ""),
      sync.last_error ? h("p", { id: "lapor-last-error", class: "late" },
        `${t("lapor_last_error")}: ${sync.last_error.reason || "—"} · `,
        when(sync.last_error.at, report.city)) : null,
      h("h3", {}, t("lapor_sent")),
      sent.length ? h("ol", { id: "lapor-sent" }, ...sent.map((e) => h("li", {},
        `${followUpName(e)} · ${when(e.at, report.city)}`,
        e.ref ? h("span", { class: "muted" }, ` · ${e.ref}`) : "")))
        : h("p", { class: "muted", id: "lapor-sent" }, t("lapor_none_sent"))).childNodes);
    box.dataset.ready = "true";
  }).catch((err) => {
    box.replaceChildren(h("h2", {}, "SP4N-LAPOR!"),
      h("p", { class: "muted" }, `${t("error")}: ${err.message}`));
    box.dataset.ready = "true";
  });
  return box;
}
