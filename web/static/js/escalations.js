// The escalations inbox (#/escalations): reports operators and agency admins escalated by hand,
// newest first. The head of an agency sees its agency's, leaders the whole city's.
import { staffCall } from "./api.js";
import { h, mount, showError } from "./dom.js";
import { t, term, when } from "./i18n.js";

export const ESCALATION_ROLES = ["agency_head", "leader"];

function row(e) {
  return h("tr", { "data-code": e.code },
    h("td", {}, h("a", { href: `#/staff/report/${encodeURIComponent(e.code)}` }, e.code)),
    h("td", {}, e.agency_name ? `${e.agency} — ${e.agency_name}` : e.agency),
    h("td", { class: "escalation-note" }, e.note),
    h("td", {}, t(`esc_by_${e.by.role}`)),
    h("td", {}, when(e.at)),
    h("td", {}, term("st", e.status)));
}

export async function escalationsPage() {
  const holder = h("div", { id: "escalations" }, h("p", { class: "muted" }, "…"));
  mount(h("section", { class: "card" }, h("h1", {}, t("escalations_title")), holder));
  try {
    const found = await staffCall("/escalations");
    const rows = found.escalations || [];
    if (!rows.length) {
      holder.replaceChildren(h("p", { class: "muted" }, t("empty")));
      return;
    }
    const columns = ["code", "agency", "note", "escalated_by", "escalated_at", "status"];
    holder.replaceChildren(h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, t(`esc_${c}`))))),
      h("tbody", {}, ...rows.map(row)))));
  } catch (err) {
    holder.replaceChildren();
    showError(err);
  }
}
