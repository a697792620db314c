// Staff: sign-in, the operators' queues, an agency's inbox and the report page with every
// workflow action the signed-in role may take.
import { call, setStaff, staff, staffCall } from "./api.js";
import { busy, field, flash, h, mount, showError } from "./dom.js";
import { photoGallery } from "./photos.js";
import { assignmentOfficers } from "./tasks.js";
import { cityStageName, statusTerm, t, term, when } from "./i18n.js";
import { laporBox } from "./lapor.js";
import { cityMap, point } from "./maps.js";
import { categoryLabel, categoryNames } from "./resident.js";

// The agency roles that act on reports (aduan/domain/roles.py); an agency_head only reads.
export const ACTING_AGENCY_ROLES = ["agency_admin", "officer"];

export function homeOf(user) {
  if (!user) return "#/staff";
  if (user.role === "operator") return "#/operator";
  if (user.role === "officer") return "#/tasks";  // field officers work from a phone
  if (ACTING_AGENCY_ROLES.includes(user.role)) return "#/agency";
  return "#/leader";
}

export function loginPage() {
  const username = h("input", { type: "text", name: "username", autocomplete: "username",
    required: true });
  const password = h("input", { type: "password", name: "password",
    autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", id: "login" }, t("login"));
  const form = h("form", { class: "card", id: "login-form" }, h("h1", {}, t("login_title")),
    field(t("username"), username), field(t("password"), password), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const session = await call("/auth/login", { method: "POST",
        json: { username: username.value.trim(), password: password.value } });
      setStaff(session);
      flash("");
      window.location.hash = homeOf(session.user);
    });
  });
  mount(form);
}

let names = new Map();

function reportTable(rows, columns) {
  if (!rows.length) return h("p", { class: "muted" }, t("empty"));
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c.label)))),
    h("tbody", {}, ...rows.map((row) => h("tr", { "data-code": row.code },
      ...columns.map((c) => h("td", {}, c.value(row))))))));
}

const codeLink = (row) => h("a", { href: `#/staff/report/${encodeURIComponent(row.code)}` },
  row.code);
// Late is the server's word (`overdue`: the SLA rule the sweep and the figures use).
const dueBadge = (due, overdue) => h("span", { class: overdue ? "badge late" : "badge" },
  when(due));

function tabs(names, current, onPick) {
  return h("div", { class: "tabs", role: "tablist" }, ...names.map((name) => h("button", {
    type: "button", role: "tab", "aria-selected": String(name === current), id: `tab-${name}`,
    onclick: () => onPick(name) }, t(`q_${name}`))));
}

export async function operatorPage(queue = "needs_review") {
  const list = h("div", { id: "queue-list" });
  mount(h("h1", {}, t("nav_operator")),
    tabs(["needs_review", "to_forward", "overdue", "all"], queue,
      (name) => { window.location.hash = `#/operator/${name}`; }),
    h("section", { class: "card", "aria-live": "polite" }, list));
  try {
    names = await categoryNames();
    let rows;
    if (queue === "needs_review" || queue === "to_forward") {
      const wanted = queue === "needs_review" ? ["needs_review"] : ["verified", "postponed"];
      rows = (await staffCall("/queue")).reports.filter((r) => wanted.includes(r.status));
    } else {
      const query = queue === "overdue" ? "overdue=true&sort=created_at" : "page_size=50";
      rows = (await staffCall(`/staff/reports?${query}`)).items;
    }
    list.replaceChildren(reportTable(rows, [
      { label: t("code"), value: codeLink },
      { label: t("status"), value: (r) => term("st", r.status) },
      { label: t("category"), value: (r) => names.get(r.category) || r.category },
      { label: t("report_type"), value: typeCell },
      { label: t("created"), value: (r) => when(r.created_at) },
      { label: t("due"), value: (r) => (r.forward_due_at
        ? dueBadge(r.forward_due_at, r.overdue)
        : r.status === "postponed" && r.postponed_until
          ? `${t("postponed_until")}: ${when(r.postponed_until)}` : "—") },
    ]));
  } catch (err) { showError(err); }
}

// The report's type, and "no photo" for one filed without (a call, a letter, an Open311 client):
// it skipped the photo checks and waits for an operator's review.
function typeCell(report) {
  return h("span", { class: "report-type" }, term("ty", report.type || "complaint"),
    report.no_photo ? h("span", { class: "badge no-photo" }, ` ${t("no_photo")}`) : "");
}

export async function agencyPage() {
  const list = h("div", { id: "inbox-list" });
  const summary = h("p", { id: "sla-summary" });
  mount(h("h1", {}, t("inbox_title")), h("section", { class: "card" },
    h("h2", {}, t("sla")), summary), h("section", { class: "card" }, list));
  try {
    names = await categoryNames();
    const inbox = await staffCall("/inbox");
    // The agency's SLA clock runs until it responds (due_at is cleared then; a reopened
    // report starts it again).
    const waiting = inbox.reports.filter((r) => r.due_at);
    const pastDue = waiting.filter((r) => r.overdue).length;
    const working = inbox.reports.filter((r) => !r.due_at && ["accepted", "in_progress"]
      .includes(r.assignment_status)).length;
    summary.replaceChildren(`${inbox.agency}: `,
      h("span", { class: "badge" }, `${t("sla_waiting")}: ${waiting.length - pastDue}`), " ",
      h("span", { class: pastDue ? "badge late" : "badge" }, `${t("sla_late")}: ${pastDue}`),
      " ", h("span", { class: "badge" }, `${t("sla_working")}: ${working}`));
    list.replaceChildren(reportTable(inbox.reports, [
      { label: t("code"), value: codeLink },
      { label: t("status"), value: (r) => term("st", r.assignment_status) },
      { label: t("category"), value: (r) => names.get(r.category) || r.category },
      { label: t("due"), value: (r) => r.due_at ? dueBadge(r.due_at, r.overdue) : "—" },
      { label: t("officers"), value: (r) => [(r.officers || []).join(", ") || "—",
        r.evidence_flagged ? h("span", { class: "badge late" }, ` ${t("evidence_flag")}`)
          : null] },
    ]));
  } catch (err) { showError(err); }
}

// The buttons are the actions the server says the signed-in person may take now
// (`workflow.actions`: each with its name, whether a note is required and the fields it takes).
function actionPanel(code, workflow, reload, picked = null) {
  const actions = workflow.actions || [];
  if (!actions.length) return null;
  const takes = (input) => actions.some((a) => a.inputs.includes(input));

  const note = h("textarea", { id: "action-note", maxlength: "2000" });
  // The internal note stays with staff; the public response is what the reporter and the
  // public read (the server keeps them apart; the labels say so).
  const answer = h("textarea", { id: "action-public-response", maxlength: "2000" });
  const controls = [field(t("note"), note), field(t("public_response"), answer)];
  const agencyBoxes = h("fieldset", {}, h("legend", {}, t("choose_agency")));
  if (takes("agencies")) {
    controls.push(agencyBoxes);
    staffCall("/agencies").then((catalogue) => {
      for (const agency of catalogue.agencies.filter((a) => a.active !== false)) {
        const box = h("input", { type: "checkbox", value: agency.code, name: "agency",
          id: `agency-${agency.code}` });
        agencyBoxes.append(h("label", { class: "check", for: box.id }, box,
          `${agency.code} — ${agency.name_id}`));
      }
    }).catch(showError);
  }
  const duplicateOf = h("input", { type: "text", id: "duplicate-of",
    placeholder: "PDG-2026-7KQ-4M9-X2A" });
  if (takes("of")) controls.push(field(t("duplicate_of"), duplicateOf));
  // Dispatching names the whole list of the agency's officers on the report.
  const officerBoxes = h("fieldset", { id: "dispatch-officers" },
    h("legend", {}, t("choose_officers")));
  if (takes("officers")) {
    controls.push(officerBoxes);
    const user = (staff() || {}).user || {};
    const mine = workflow.agencies.find((a) => a.code === user.agency) || {};
    const current = (mine.officers || []).filter((o) => o.status !== "removed").map((o) => o.id);
    staffCall(`/agencies/${encodeURIComponent(user.agency)}/officers`).then((found) => {
      for (const officer of found.officers) {
        const box = h("input", { type: "checkbox", value: officer.id, name: "officer",
          id: `officer-${officer.id}`, checked: current.includes(officer.id) });
        officerBoxes.append(h("label", { class: "check", for: box.id }, box,
          officer.name || officer.username));
      }
    }).catch(showError);
  }
  // Postponing names the day the report comes back; escalating, for an operator, the agency
  // whose head hears it when several hold the report.
  const until = h("input", { type: "date", id: "postpone-until" });
  if (takes("until")) controls.push(field(t("postpone_until"), until));
  const holding = workflow.agencies.filter((a) => !["handed_back", "withdrawn"].includes(a.status));
  const escalateTo = h("select", { id: "escalate-agency" },
    ...holding.map((a) => h("option", { value: a.code }, `${a.code} — ${a.name || a.code}`)));
  const role = ((staff() || {}).user || {}).role;
  if (takes("agency") && role === "operator" && holding.length > 1) {
    controls.push(field(t("escalate_agency"), escalateTo));
  }
  const evidence = h("input", { type: "file", accept: "image/*", capture: "environment",
    id: "evidence", multiple: true });
  if (takes("photos")) controls.push(field(t("evidence_photo"), evidence));
  // A report without a point (an SMS, an address told at the desk): verifying sends the
  // point the operator marked on the map.
  if (picked && actions.some((a) => a.name === "verify")) controls.push(picked.label);

  const path = (name) => `/reports/${encodeURIComponent(code)}/actions/${name}`;
  async function perform(action) {
    const text = note.value.trim();
    if (action.note === "required" && !text) throw new Error(t("note_required"));
    const body = text && action.note !== "none" ? { note: text } : {};
    if (answer.value.trim() && action.name !== "escalate") {
      body.public_response = answer.value.trim();  // an escalation is staff-only
    }
    if (action.inputs.includes("until")) {
      if (!until.value) throw new Error(t("until_required"));
      body.until = until.value;
    }
    if (action.inputs.includes("agency") && escalateTo.isConnected && escalateTo.value) {
      body.agency = escalateTo.value;
    }
    if (action.inputs.includes("agencies")) {
      body.agencies = [...agencyBoxes.querySelectorAll("input:checked")].map((b) => b.value);
    }
    if (action.inputs.includes("of")) body.of = duplicateOf.value.trim().toUpperCase();
    if (action.name === "verify" && picked && picked.point) body.point = picked.point;
    if (action.inputs.includes("officers")) {
      body.officers = [...officerBoxes.querySelectorAll("input:checked")].map((b) => b.value);
    }
    if (action.inputs.includes("photos")) {
      const form = new FormData();
      form.append("data", JSON.stringify(body));
      for (const file of evidence.files) form.append("photo", file);
      return staffCall(path(action.name), { method: "POST", form });
    }
    return staffCall(path(action.name), { method: "POST", json: body });
  }
  const buttons = actions.map((action) => {
    const button = h("button", { type: "button", id: `act-${action.name}`,
      class: action.final ? "danger" : "" }, t(`a_${action.name}`));
    button.addEventListener("click", () => busy(button, async () => {
      await perform(action);
      flash(`${t("done_action")}: ${t(`a_${action.name}`)}`);
      reload();
    }));
    return button;
  });
  return h("section", { class: "card", "aria-labelledby": "actions-h", id: "actions" },
    h("h2", { id: "actions-h" }, t("actions")), ...controls, h("div", {}, ...buttons));
}

// Operators and the agencies handling a report answer the resident with a comment.
function responseForm(code, reload) {
  const role = ((staff() || {}).user || {}).role;
  if (!["operator", ...ACTING_AGENCY_ROLES].includes(role)) return null;
  const text = h("textarea", { id: "response-text", maxlength: "2000" });
  const send = h("button", { type: "button", id: "send-response" }, t("send_response"));
  send.addEventListener("click", () => busy(send, async () => {
    if (!text.value.trim()) throw new Error(t("note_required"));
    await staffCall(`/reports/${encodeURIComponent(code)}/comments`,
      { method: "POST", json: { text: text.value.trim() } });
    flash(t("done_action"));
    reload();
  }));
  return h("section", { class: "card" }, h("h2", {}, t("responses")),
    field(t("response_text"), text), send);
}

// Earlier open reports found near this one (same category) or with a similar photo, by the
// verification worker; one click marks this report a duplicate of one of them.
const CLOSED = ["closed", "archived", "duplicate", "rejected"];
function possibleDuplicatesBox(code, report, workflow, reload) {
  const listed = report.possible_duplicates || [];
  if (!listed.length) return null;
  const canMark = (workflow.actions || []).some((a) => a.name === "duplicate");
  return h("section", { class: "card", id: "possible-duplicates" },
    h("h2", {}, t("possible_duplicates")),
    h("ul", {}, ...listed.map((d) => {
      const mark = h("button", { type: "button", "data-of": d.code }, t("pd_mark"));
      mark.addEventListener("click", () => busy(mark, async () => {
        await staffCall(`/reports/${encodeURIComponent(code)}/actions/duplicate`,
          { method: "POST", json: { of: d.code } });
        flash(`${t("done_action")}: ${t("a_duplicate")}`);
        reload();
      }));
      return h("li", { "data-code": d.code }, codeLink(d),
        ` · ${d.reasons.map((r) => t(`pd_${r}`)).join(", ")}`,
        d.distance_m != null ? ` · ${Math.round(d.distance_m)} m` : "",
        d.status ? ` · ${term("st", d.status)}` : "", " ",
        canMark && !CLOSED.includes(d.status) ? mark : null);
    })));
}

export async function staffReportPage(code) {
  const holder = h("div", { id: "staff-report" });
  mount(h("p", {}, h("a", { href: homeOf((staff() || {}).user) }, `← ${t("back")}`)), holder);
  async function load() {
    try {
      const report = await staffCall(`/staff/reports/${encodeURIComponent(code)}`);
      const workflow = await staffCall(`/reports/${encodeURIComponent(code)}/workflow`);
      await render(report, workflow);
    } catch (err) { showError(err); }
  }
  async function render(report, workflow) {
    const verification = report.verification || {};
    const mapBox = h("div", { class: "map" });
    const evidence = workflow.history.flatMap((e) => e.photos || []);
    const breaches = workflow.sla_breaches || [];
    const spot = report.location;
    const pointless = !(spot && typeof spot.lat === "number")
      && (workflow.actions || []).some((a) => a.name === "verify");
    const picked = pointless ? { point: null, label: h("p", { id: "picked-point" },
      t("pick_point_hint")) } : null;
    holder.replaceChildren(
      h("section", { class: "card" },
        h("h1", {}, report.code),
        h("p", {}, h("span", { class: "badge", id: "report-status", "data-status": report.status },
          statusTerm(report.status, report.type)), " · ",
        cityStageName(report.city, workflow.stages.city || "none"),
        " · ", await categoryLabel(report.category), " · ", typeCell(report),
        " · ", when(report.created_at)),
        h("p", {}, report.description),
        // Where it came from says what its photo can prove (no camera proof from WhatsApp).
        report.channel ? h("p", { class: "muted", id: "report-channel" },
          `${t("desk_channel")}: ${term("ch", report.channel)}`) : null,
        report.reporter ? h("p", { class: "muted" }, `${t("reporter")}: `,
          [report.reporter.name, report.reporter.email, report.reporter.phone]
            .filter(Boolean).join(" · ") || "—") : null,
        photoGallery(report.photos, t("photos"), { asStaff: true }),
        // The desk may give an address alone (told by a caller, not geocoded): no point.
        report.location && report.location.address ? h("p", { id: "report-address" },
          `${t("desk_address")}: ${report.location.address}`) : null,
        mapBox),
      h("section", { class: "card", id: "verification" }, h("h2", {}, t("verification")),
        h("p", {}, `${t("verdict")}: ${verification.verdict || "—"}`),
        report.media_fetch_failed ? h("p", { id: "media-fetch-failed" },
          `${t("media_fetch_failed")}: ${term("mf", report.media_fetch_failed)}`) : null,
        h("p", {}, `${t("reasons")}: `, (verification.reasons || []).length
          ? verification.reasons.map((r) => term("r", r)).join(", ") : "—"),
        // Recorded without holding the report up (a city's "flag" policy), e.g. no_camera_proof.
        (verification.flags || []).length ? h("p", { id: "verification-flags" },
          `${t("flags")}: `, verification.flags.map((r) => term("r", r)).join(", ")) : null,
        workflow.triage_reason ? h("p", { class: "muted" }, `triage: ${workflow.triage_reason}`)
          : null),
      possibleDuplicatesBox(code, report, workflow, load) || "",
      laporBox(code, report, workflow) || "",
      h("section", { class: "card" }, h("h2", {}, t("agencies")),
        workflow.agencies.length ? h("ul", {}, ...workflow.agencies.map((a) => h("li", {},
          `${a.code} — ${term("st", a.status)}`, a.due_at ? h("span", {
            class: a.overdue ? "badge late" : "badge" }, ` ${t("due")}: ${when(a.due_at)}`)
            : "", a.resolution_due_at ? h("span", { class: "badge" },
            ` ${t("resolution_due")}: ${when(a.resolution_due_at)}`) : "",
          assignmentOfficers(a)))) : h("p", {}, "—"),
        breaches.length ? h("p", { class: "badge late" }, `${t("sla_late")}: ${breaches.length}`)
          : null,
        report.status === "postponed" && workflow.postponed_until
          ? h("p", { id: "postponed-until" },
            `${t("postponed_until")}: ${when(workflow.postponed_until)}`) : null,
        (workflow.escalations || []).length ? h("ul", { id: "report-escalations" },
          ...workflow.escalations.map((e) => h("li", {}, `${t("escalations")} · ${e.agency} · `,
            `${when(e.at)} · ${t(`esc_by_${e.by.role}`)}: `, e.note))) : null),
      actionPanel(code, workflow, load, picked) || "",
      (report.comments || []).length ? h("section", { class: "card", id: "comments" },
        h("h2", {}, t("comments")), h("ul", {}, ...report.comments.map((c) => h("li", {},
          h("span", { class: "muted" }, `${when(c.at)} · ${c.by}`), h("div", {}, c.text),
          c.photo_url ? photoGallery([{ url: c.photo_url, thumbnail_url: c.photo_thumbnail_url }],
            t("photos"), { asStaff: true }) : null))))
        : "",
      responseForm(code, load) || "",
      evidence.length ? h("section", { class: "card", id: "evidence" },
        h("h2", {}, t("evidence")),
        photoGallery(evidence, t("evidence"), { asStaff: true })) : "",
      h("section", { class: "card" }, h("h2", {}, t("history")),
        h("ol", {}, ...workflow.history.map((e) => h("li", {},
          h("strong", {}, term("st", e.to)), " · ", when(e.at), " · ",
          [e.by.role, e.by.agency].filter(Boolean).join(" "),
          // A field officer's step (which may leave the status as it was) says what it was.
          ["dispatch", "visit"].includes(e.action) ? ` · ${t(`a_${e.action}`)}` : "",
          e.note ? h("div", { class: "internal-note" },
            h("span", { class: "muted" }, `${t("note")}: `), e.note) : null,
          e.public_response ? h("div", { class: "public-response" },
            h("span", { class: "muted" }, `${t("public_response")}: `), e.public_response)
            : null)))),
    );
    const map = await cityMap(mapBox, report.city, t("location"));
    if (spot && typeof spot.lat === "number") {
      point(map, spot.lat, spot.lon);
      map.setView([spot.lat, spot.lon], 13, { animate: false });
    } else if (picked) {
      let marker = null;
      mapBox.dataset.pick = "on";
      map.on("click", (e) => {
        picked.point = { lat: Number(e.latlng.lat.toFixed(6)), lon: Number(e.latlng.lng.toFixed(6)) };
        if (marker) marker.remove();
        marker = point(map, picked.point.lat, picked.point.lon);
        picked.label.textContent = `${t("picked_point")}: ${picked.point.lat}, ${picked.point.lon}`;
      });
    }
  }
  await load();
}
