// Leaders: reports by stage and agency over time, response time and SLA compliance per agency,
// a map of open reports and the CSV export. Every chart has its figures as a table too.
import { staffCall } from "./api.js";
import { busy, field, h, mount, showError } from "./dom.js";
import { kinikoStages, t, term } from "./i18n.js";
import { cityMap, point } from "./maps.js";

const OPEN = "needs_review,verified,postponed,forwarded,accepted,in_progress,reopened";
const COLOURS = ["#12486b", "#d9822b", "#198754", "#6f42c1", "#b02a37", "#0dcaf0", "#6c757d"];
const charts = [];

const isoDay = (d) => d.toISOString().slice(0, 10);

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

async function stageByWeek(today) {
  const weeks = [];
  for (let i = 7; i >= 0; i -= 1) {
    const end = new Date(today.getTime() - i * 7 * 86400000);
    const start = new Date(end.getTime() - 6 * 86400000);
    weeks.push({ from: isoDay(start), to: isoDay(end) });
  }
  const figures = await Promise.all(weeks.map((w) =>
    staffCall(`/stats?from=${w.from}&to=${w.to}`)));
  const stages = kinikoStages();
  const agencies = [...new Set(figures.flatMap((f) => Object.keys(f.by_agency)))].sort();
  const labels = weeks.map((w) => w.to);
  return {
    stages: { labels, datasets: stages.map((s) => ({
      label: term("s", s), data: figures.map((f) => f.by_stage.kiniko[s] || 0) })) },
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

export async function leaderPage() {
  while (charts.length) charts.pop().destroy();
  const today = new Date();
  const from = h("input", { type: "date", id: "from",
    value: isoDay(new Date(today.getTime() - 29 * 86400000)) });
  const to = h("input", { type: "date", id: "to", value: isoDay(today) });
  const period = h("select", { id: "period" }, ...["day", "week", "month"].map((p) =>
    h("option", { value: p }, t(`p_${p}`))));
  const show = h("button", { type: "submit" }, t("show"));
  const csvAgencies = h("button", { type: "button", class: "secondary", id: "csv-agencies" },
    `${t("csv")} (${t("agencies")})`);
  const csvCounts = h("button", { type: "button", class: "secondary", id: "csv-counts" },
    `${t("csv")} (${t("total")})`);
  const form = h("form", { class: "card", id: "leader-form" }, h("h1", {}, t("leader_title")),
    field(t("from"), from), field(t("to"), to), field(t("period"), period), show,
    csvAgencies, csvCounts);
  const body = h("div", { id: "leader-body" });
  mount(form, body);
  const range = () => `from=${from.value}&to=${to.value}`;
  csvAgencies.addEventListener("click", () => download(`table=agencies&${range()}`, csvAgencies));
  csvCounts.addEventListener("click", () => download(`table=counts&${range()}&period=${period.value}`,
    csvCounts));

  async function load() {
    while (charts.length) charts.pop().destroy();
    try {
      const stats = await staffCall(`/stats?${range()}&period=${period.value}`);
      const stages = kinikoStages();
      const agencies = stats.agencies;
      const overall = stats.sla.overall.compliance_pct;
      const weekly = await stageByWeek(new Date(`${to.value}T12:00:00`));
      const mapBox = h("div", { class: "map big" });
      body.replaceChildren(
        h("section", { class: "card" },
          h("p", {}, `${t("total")}: `, h("strong", { id: "stats-total" }, String(stats.total))),
          h("p", {}, `${t("sla_overall")}: `, h("strong", { id: "sla-overall" },
            overall === null ? "—" : `${overall}%`))),
        h("div", { class: "charts" },
          chartCard("stage", t("by_stage"), [...stages, "none"].map((s) => term("s", s)),
            [{ label: t("total"), data: [...stages, "none"].map((s) => stats.by_stage.kiniko[s]) }]),
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
            [{ label: "%", data: agencies.map((a) => a.sla.compliance_pct) }])),
        h("section", { class: "card" }, h("h2", {}, t("open_map")), mapBox));
      const open = await staffCall(`/staff/reports?status=${OPEN}&page_size=100`);
      const map = await cityMap(mapBox, stats.city, t("open_map"));
      for (const row of open.items) {
        point(map, row.location.lat, row.location.lon, { radius: 6 })
          .bindTooltip(`${row.code} · ${term("st", row.status)}`);
      }
    } catch (err) { showError(err); }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); busy(show, load); });
  await load();
}
