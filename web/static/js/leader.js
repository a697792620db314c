// Leaders (and the head of an agency, who gets its own agency's figures only): reports by the
// city's own stages, channel and agency over time, times per agency and per field officer,
// the reporters' ratings, SLA compliance, a map of open reports and the CSV export. Every
// chart has its figures as a table too.
import { staffCall } from "./api.js";
import { busy, field, h, mount, showError } from "./dom.js";
import { cityStageName, cityStages, cityToday, t, term } from "./i18n.js";
import { cityMap, point } from "./maps.js";

export const LEADER_ROLES = ["operator", "leader", "sysadmin", "agency_head"];
const OPEN = "needs_review,verified,postponed,forwarded,accepted,in_progress,reopened";
const COLOURS = ["#12486b", "#d9822b", "#198754", "#6f42c1", "#b02a37", "#0dcaf0", "#6c757d"];
const SCORES = ["1", "2", "3", "4", "5"];
const CSV_TABLES = ["agencies", "officers", "ratings", "counts"];
const charts = [];

// Whole days counted on a plain calendar (midnight UTC), so no zone can move them.
const daysBefore = (day, n) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - n * 86400000).toISOString().slice(0, 10);
const orDash = (value) => (value === null || value === undefined ? "—" : String(value));
const pct = (value) => (value === null || value === undefined ? "—" : `${value}%`);

function chartCard(id, title, labels, datasets, type = "bar", stacked = false) {
  const canvas = h("canvas", { id: `chart-${id}`, role: "img", "aria-label": title });
  const table = h("table", { id: `table-${id}` },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""),
      ...datasets.map((d) => h("th", { scope: "col" }, d.label)))),
    h("tbody", {}, ...labels.map((label, i) => h("tr", {}, h("th", { scope: "row" }, label),
      ...datasets.map((d) => h("td", {}, d.data[i] ?? "—"))))));
  const card = h("section", { class: "card", "aria-labelledby": `h-${id}` },
    h("h2", { id: `h-${id}` }, title), h("div", { class: "chart-box" }, canvas),
    h("details", {}, h("summary", {}, t("show")), h("div", { class: "table-wrap" }, table)));
  queueMicrotask(() => charts.push(new Chart(canvas, {
    type,
    data: { labels, datasets: datasets.map((d, i) => ({ backgroundColor: COLOURS[i % 7],
      borderColor: COLOURS[i % 7], ...d })) },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      scales: { x: { stacked }, y: { stacked, beginAtZero: true } } },
  })));
  return card;
}

// A card with a table only (figures with several columns per row).
function tableCard(id, title, headers, rows) {
  const body = rows.length
    ? h("div", { class: "table-wrap" }, h("table", { id: `table-${id}` },
      h("thead", {}, h("tr", {}, ...headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, ...rows.map((row) => h("tr", {},
        h("th", { scope: "row" }, row[0]), ...row.slice(1).map((cell) => h("td", {}, cell)))))))
    : h("p", { class: "muted" }, t("no_data"));
  return h("section", { class: "card wide", id: `card-${id}`, "aria-labelledby": `h-${id}` },
    h("h2", { id: `h-${id}` }, title), body);
}

async function stageByWeek(lastDay, city, stages) {
  const weeks = [];
  for (let i = 7; i >= 0; i -= 1) {
    const end = daysBefore(lastDay, i * 7);
    weeks.push({ from: daysBefore(end, 6), to: end });
  }
  const figures = await Promise.all(weeks.map((w) =>
    staffCall(`/stats?from=${w.from}&to=${w.to}`)));
  const agencies = [...new Set(figures.flatMap((f) => Object.keys(f.by_agency)))].sort();
  const labels = weeks.map((w) => w.to);
  return {
    stages: { labels, datasets: stages.map((s) => ({
      label: cityStageName(city, s), data: figures.map((f) => f.by_stage.city[s] || 0) })) },
    agencies: { labels, datasets: agencies.map((a) => ({
      label: a, data: figures.map((f) => f.by_agency[a] || 0) })) },
  };
}

async function download(query, button) {
  await busy(button, async () => {
    const response = await staffCall(`/stats.csv?${query}`, { raw: true });
    const blob = await response.blob();
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="(.+)"/);
    const link = h("a", { href: URL.createObjectURL(blob), download: name ? name[1] : "aduan.csv" });
    document.body.append(link);
    link.click();
    link.remove();
  });
}

function ratingCards(ratings) {
  const agencies = ratings.by_agency;
  return [
    chartCard("rating-agency", t("rating_by_agency"), agencies.map((r) => r.agency),
      [{ label: t("rating_average"), data: agencies.map((r) => r.average) },
        { label: `${t("rating_share")} (%)`, data: agencies.map((r) => r.share_rated_pct),
          hidden: true }]),
    chartCard("rating-scores", t("rating_distribution"), SCORES,
      agencies.map((r) => ({ label: r.agency, data: SCORES.map((s) => r.distribution[s]) })),
      "bar", true),
    tableCard("ratings", t("rating_rows"),
      [t("agency"), t("category"), t("month"), t("rated_count"), t("rateable"), t("rating_share"),
        t("rating_average"), ...SCORES],
      ratings.rows.map((r) => [r.agency, r.category, r.month, r.rated, r.rateable,
        pct(r.share_rated_pct), orDash(r.average), ...SCORES.map((s) => r.distribution[s])])),
  ];
}

function timesCards(stats) {
  const median = (summary) => `${orDash(summary.median_hours)} (${summary.count})`;
  return [
    tableCard("agency-times", t("agency_times"),
      [t("agency"), t("total"), t("t_first_response"), t("t_follow_up"), t("t_resolve"),
        t("compliance")],
      stats.agencies.map((a) => [a.agency, a.reports, median(a.time_to_first_response),
        median(a.time_to_follow_up), median(a.time_to_resolve), pct(a.sla.compliance_pct)])),
    tableCard("officer-times", t("officer_times"),
      [t("officer"), t("agency"), t("assignments"), t("t_first_visit"), t("t_resolve")],
      stats.officers.map((o) => [o.name || o.officer, o.agency, o.assignments,
        median(o.time_to_first_visit), median(o.time_to_resolve)])),
  ];
}

export async function leaderPage() {
  while (charts.length) charts.pop().destroy();
  const today = cityToday();
  const from = h("input", { type: "date", id: "from", value: daysBefore(today, 29) });
  const to = h("input", { type: "date", id: "to", value: today });
  const period = h("select", { id: "period" }, ...["day", "week", "month"].map((p) =>
    h("option", { value: p }, t(`p_${p}`))));
  const show = h("button", { type: "submit" }, t("show"));
  const csvNames = { agencies: "agencies", officers: "officer", ratings: "ratings",
    counts: "total" };
  const csvButtons = CSV_TABLES.map((table) => h("button",
    { type: "button", class: "secondary", id: `csv-${table}` },
    `${t("csv")} (${t(csvNames[table])})`));
  const form = h("form", { class: "card", id: "leader-form" }, h("h1", {}, t("leader_title")),
    field(t("from"), from), field(t("to"), to), field(t("period"), period), show,
    ...csvButtons);
  const body = h("div", { id: "leader-body" });
  mount(form, body);
  const range = () => `from=${from.value}&to=${to.value}`;
  csvButtons.forEach((button, i) => button.addEventListener("click", () =>
    download(`table=${CSV_TABLES[i]}&${range()}&period=${period.value}`, button)));

  async function load() {
    while (charts.length) charts.pop().destroy();
    try {
      const stats = await staffCall(`/stats?${range()}&period=${period.value}`);
      const city = stats.city;
      const stages = cityStages(city).map((s) => s.code)
        .filter((code) => code in stats.by_stage.city);
      const agencies = stats.agencies;
      const overall = stats.sla.overall.compliance_pct;
      const rated = stats.ratings.overall;
      const weekly = await stageByWeek(to.value, city, stages);
      const channels = Object.keys(stats.by_channel);
      const mapBox = h("div", { class: "map big" });
      body.replaceChildren(
        h("section", { class: "card", id: "leader-summary" },
          stats.agency ? h("p", {}, `${t("scope_agency")}: `,
            h("strong", { id: "stats-agency" }, stats.agency)) : null,
          h("p", {}, `${t("total")}: `, h("strong", { id: "stats-total" }, String(stats.total))),
          h("p", {}, `${t("sla_overall")}: `, h("strong", { id: "sla-overall" }, pct(overall))),
          h("p", {}, `${t("rating_average")}: `,
            h("strong", { id: "rating-average" }, orDash(rated.average)),
            ` · ${t("rating_share")}: `,
            h("strong", { id: "rating-share" }, pct(rated.share_rated_pct)),
            ` (${rated.rated}/${rated.rateable})`)),
        h("div", { class: "charts" },
          chartCard("stage", t("by_city_stage"),
            [...stages, "none"].map((s) => cityStageName(city, s)),
            [{ label: t("total"), data: [...stages, "none"].map((s) => stats.by_stage.city[s]) }]),
          chartCard("channel", t("by_channel"), channels.map((c) => term("ch", c)),
            [{ label: t("total"), data: channels.map((c) => stats.by_channel[c]) }]),
          // Complaints, aspirations and information requests, each counted apart.
          chartCard("type", t("by_type"), Object.keys(stats.by_type).map((c) => term("ty", c)),
            [{ label: t("total"), data: Object.values(stats.by_type) }]),
          chartCard("agency", t("by_agency"), Object.keys(stats.by_agency),
            [{ label: t("total"), data: Object.values(stats.by_agency) }]),
          chartCard("time", t("over_time"), Object.keys(stats.by_period),
            [{ label: t("total"), data: Object.values(stats.by_period) }], "line"),
          chartCard("weekly", t("stage_over_time"), weekly.stages.labels, weekly.stages.datasets,
            "bar", true),
          chartCard("weekly-agency", t("agency_over_time"), weekly.agencies.labels,
            weekly.agencies.datasets, "bar", true),
          chartCard("response", t("response_time"), agencies.map((a) => a.agency),
            [{ label: t("response_time"),
              data: agencies.map((a) => a.time_to_first_response.median_hours) }]),
          chartCard("compliance", t("compliance"), agencies.map((a) => a.agency),
            [{ label: "%", data: agencies.map((a) => a.sla.compliance_pct) }]),
          ...ratingCards(stats.ratings),
          ...timesCards(stats)),
        h("section", { class: "card" }, h("h2", {}, t("open_map")), mapBox));
      const open = await staffCall(`/staff/reports?status=${OPEN}&page_size=100`);
      const map = await cityMap(mapBox, city, t("open_map"));
      // A report filed at the desk with a typed address only has no point to draw.
      const placed = open.items.filter((r) => r.location && typeof r.location.lat === "number");
      for (const row of placed) {
        point(map, row.location.lat, row.location.lon, { radius: 6 })
          .bindTooltip(`${row.code} · ${term("st", row.status)}`);
      }
    } catch (err) { showError(err); }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); busy(show, load); });
  await load();
}
