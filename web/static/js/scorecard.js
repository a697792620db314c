// The public scorecard (#/scorecard), as SP4N-LAPOR! publishes one for institutions: per agency
// of the city, over the last 30 or 90 days, the reports it received, the median time to follow
// up and to resolve, the share of its deadlines met and the reporters' average rating. The
// figures are the leaders' own (GET /scorecard); the page only shows them.
import { call } from "./api.js";
import { h, mount, showError } from "./dom.js";
import { language, t, when } from "./i18n.js";

const DAYS = [30, 90];
const dash = "—";

// Hours as the public reads them: "5 jam" under two days, "3,5 hari" beyond.
function duration(hours) {
  if (hours === null || hours === undefined) return dash;
  const format = (n) => n.toLocaleString(language() === "en" ? "en-GB" : "id-ID",
    { maximumFractionDigits: 1 });
  return hours < 48 ? `${format(hours)} ${t("hours_short")}` : `${format(hours / 24)} ${t("days_short")}`;
}

// What besides complaints an agency received (aspirations are followed up, not resolved).
function byType(row) {
  const others = Object.entries(row.received_by_type || {})
    .filter(([type, count]) => type !== "complaint" && count > 0);
  return others.length ? h("div", { class: "muted" },
    others.map(([type, count]) => `${t(`type_${type}`)}: ${count}`).join(" · ")) : null;
}

const percent = (value) => (value === null || value === undefined ? dash : `${value}%`);
const rating = (row) => (row.average_rating === null ? dash
  : `${row.average_rating.toFixed(1)} / 5 (${row.ratings})`);

export async function scorecardPage(arg) {
  const days = DAYS.includes(Number(arg)) ? Number(arg) : DAYS[0];
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": t("period") },
    ...DAYS.map((d) => h("button", { type: "button", role: "tab", id: `days-${d}`,
      "aria-selected": String(d === days),
      onclick: () => { window.location.hash = `#/scorecard/${d}`; } },
    `${d} ${t("last_days")}`)));
  const body = h("div", { id: "scorecard" }, h("p", { class: "muted" }, t("loading")));
  mount(h("section", { class: "card" }, h("h1", {}, t("scorecard_title")),
    h("p", { class: "muted" }, t("scorecard_intro")), tabs), body);
  let card;
  try {
    card = await call(`/scorecard?days=${days}`);
  } catch (err) { body.replaceChildren(); showError(err); return; }
  const name = (row) => (language() === "en" ? row.name_en : row.name_id) || row.agency;
  const headers = ["sc_agency", "sc_received", "sc_follow_up", "sc_resolution", "sc_within_sla",
    "sc_rating"];
  body.replaceChildren(h("section", { class: "card wide", "aria-labelledby": "sc-h" },
    h("h2", { id: "sc-h" }, `${t("scorecard_period")} ${card.from} – ${card.to}`),
    h("p", { class: "muted" }, `${t("sc_reports")}: ${card.reports} · ${t("sc_computed")} `
      + when(card.computed_at, card.city)),
    h("div", { class: "table-wrap" }, h("table", { id: "scorecard-table" },
      h("thead", {}, h("tr", {}, ...headers.map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, ...card.agencies.map((row) => h("tr", { "data-agency": row.agency },
        h("th", { scope: "row" }, name(row)),
        h("td", {}, String(row.received), byType(row)),
        h("td", {}, duration(row.median_follow_up_hours)),
        h("td", {}, duration(row.median_resolution_hours)),
        h("td", {}, percent(row.within_sla_pct)),
        h("td", {}, rating(row))))))),
    h("p", { class: "muted" }, t("scorecard_note"))));
}
