// A field officer's tasks (#/tasks), made for a phone: the reports its agency dispatched to
// it (`GET /tasks`), each with its photo, category, place and status, and the forms of what
// the server says it may do now (each task's `actions`): record a visit (a
// progress note and a photo from the camera) and resolve (a note and evidence photos, which
// the server checks: taken just now, at the report's place).
import { staffCall } from "./api.js";
import { busy, field, flash, h, mount, showError } from "./dom.js";
import { photoGallery } from "./photos.js";
import { t, term, when } from "./i18n.js";
import { categoryNames } from "./resident.js";

const FORMS = { visit: "visit_note", resolve: "resolve_note" };

// A geo: link (RFC 5870) opens the phone's own map app at the report's place. A report may have
// no point (an address typed at the desk) or no location at all: the address, or nothing.
function mapLink(location) {
  const { lat, lon, address } = location || {};
  if (typeof lat !== "number" || typeof lon !== "number") {
    return address ? `${t("desk_address")}: ${address}` : null;
  }
  return h("a", { class: "map-link", href: `geo:${lat},${lon}?q=${lat},${lon}` },
    `${t("open_in_map")} (${lat.toFixed(5)}, ${lon.toFixed(5)})`);
}

// `type`: the report's type. A complaint's repair is shown with an evidence photo; an
// information request is resolved by its answer (public_response), which the reporter reads;
// an aspiration needs neither (aduan/domain/report_types.py).
function actionForm(code, action, reload, type) {
  const note = h("textarea", { id: `${action.name}-note-${code}`, maxlength: "2000",
    required: true });
  const answers = action.name === "resolve" && type === "information_request";
  const answer = answers ? h("textarea", { id: `${action.name}-answer-${code}`,
    maxlength: "2000", required: true }) : null;
  const photoNeeded = action.name === "resolve" && (!type || type === "complaint");
  const photos = h("input", { type: "file", accept: "image/*", capture: "environment",
    id: `${action.name}-photo-${code}`, multiple: action.name === "resolve" });
  const send = h("button", { type: "submit", id: `${action.name}-${code}`,
    class: action.name === "resolve" ? "" : "secondary" }, t(`a_${action.name}`));
  const form = h("form", { class: `task-form ${action.name}` },
    field(t(FORMS[action.name]), note), answer ? field(t("public_response"), answer) : null,
    field(t(`${action.name}_photo`), photos), send);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(send, async () => {
      if (!note.value.trim()) throw new Error(t("note_required"));
      if (photoNeeded && !photos.files.length) throw new Error(t("evidence_needed"));
      const body = new FormData();
      body.append("data", JSON.stringify({ note: note.value.trim(),
        ...(answer ? { public_response: answer.value.trim() } : {}) }));
      for (const file of photos.files) body.append("photo", file);
      await staffCall(`/reports/${encodeURIComponent(code)}/actions/${action.name}`,
        { method: "POST", form: body });
      flash(`${t("done_action")}: ${t(`a_${action.name}`)} · ${code}`);
      reload();
    });
  });
  return form;
}

function taskCard(task, names, reload) {
  const entry = task.officer;
  const forms = task.actions.filter((a) => FORMS[a.name]).map((a) => actionForm(task.code, a, reload, task.type));
  return h("article", { class: "card task", "data-code": task.code },
    h("h2", {}, names.get(task.category) || task.category),
    photoGallery(task.photos.slice(0, 1), t("photos"), { asStaff: true }),
    h("p", {}, h("span", { class: "badge", "data-status": task.status },
      term("st", task.status)), " ",
    entry ? h("span", { class: "badge", "data-officer-status": entry.status },
      t(`o_${entry.status}`)) : null),
    h("p", {}, task.description),
    task.location ? h("p", {}, mapLink(task.location)) : null,
    entry ? h("p", { class: "muted" }, `${t("assigned_at")}: ${when(entry.assigned_at)}`,
      entry.first_visit_at ? ` · ${t("first_visit")}: ${when(entry.first_visit_at)}` : "",
      entry.resolved_at ? ` · ${t("resolved_at")}: ${when(entry.resolved_at)}` : "") : null,
    h("p", { class: "muted" },
      h("a", { href: `#/staff/report/${encodeURIComponent(task.code)}` }, task.code)),
    ...forms);
}

export async function tasksPage() {
  const list = h("div", { id: "task-list", "aria-live": "polite" });
  mount(h("h1", {}, t("tasks_title")), list);
  try {
    const names = await categoryNames();
    const tasks = (await staffCall("/tasks")).items;
    if (!tasks.length) {
      list.replaceChildren(h("p", { class: "muted", id: "no-tasks" }, t("no_tasks")));
      return;
    }
    list.replaceChildren(...tasks.map((task) => taskCard(task, names, tasksPage)));
  } catch (err) { showError(err); }
}

// On the report page: an assignment's officers with their times, and the flag its evidence
// photos raised (the agency admin checks that resolution).
export function assignmentOfficers(assignment) {
  const officers = (assignment.officers || []).filter((o) => o.status !== "removed");
  const flag = assignment.evidence_flag;
  if (!officers.length && !flag) return null;
  return h("div", { class: "officers" },
    officers.length ? h("ul", { class: "officer-list" }, ...officers.map((o) => h("li",
      { "data-officer": o.id }, `${o.name || o.id} · ${t(`o_${o.status}`)}`,
      h("span", { class: "muted" }, ` · ${t("assigned_at")}: ${when(o.assigned_at)}`,
        o.first_visit_at ? ` · ${t("first_visit")}: ${when(o.first_visit_at)}` : "",
        o.resolved_at ? ` · ${t("resolved_at")}: ${when(o.resolved_at)}` : "")))) : null,
    flag ? h("p", { class: "badge late", id: `evidence-flag-${assignment.code}` },
      `${t("evidence_flag")}: ${flag.reasons.map((r) => term("r", r)).join(", ")}`,
      ` (${(officers.find((o) => o.id === flag.officer) || {}).name || flag.officer},`,
      ` ${when(flag.at)})`) : null);
}
