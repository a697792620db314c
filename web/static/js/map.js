// The public map (#/map), like FixMyStreet's: the reports the public may see on the city's map
// and as a list, filtered by category, report type, status, kecamatan and the days they came
// in, or by the map's own area. Only reports with a place are drawn (a report filed by the desk with an
// address only is listed, not drawn). Everything comes from the public list, GET /reports.
import { call } from "./api.js";
import { busy, field, h, mount, showError } from "./dom.js";
import { t, term, when } from "./i18n.js";
import { cityMap, kecamatanList, point } from "./maps.js";
import { categoryName } from "./resident.js";

// What the public list shows (aduan/domain/visibility.py PUBLIC_STATUSES).
const STATUSES = ["verified", "forwarded", "referred", "accepted", "in_progress", "resolved",
  "closed", "reopened"];
const DONE = new Set(["resolved", "closed"]);
const TYPES = ["complaint", "aspiration", "information_request"];
const PAGE_SIZE = 50;

const located = (r) => r.location && typeof r.location.lat === "number"
  && typeof r.location.lon === "number";
const colour = (status) => (DONE.has(status) ? "#198754" : status === "referred" ? "#6c757d"
  : "#c0392b");

export async function mapPage() {
  const category = h("select", { name: "category", id: "filter-category" },
    h("option", { value: "" }, t("all_categories")));
  const status = h("select", { name: "status", id: "filter-status" },
    h("option", { value: "" }, t("all_statuses")),
    ...STATUSES.map((s) => h("option", { value: s }, term("st", s))));
  const type = h("select", { name: "type", id: "filter-type" },
    h("option", { value: "" }, t("all_types")),
    ...TYPES.map((code) => h("option", { value: code }, t(`type_${code}`))));
  const kecamatan = h("select", { name: "kecamatan", id: "filter-kecamatan" },
    h("option", { value: "" }, t("all_kecamatan")));
  const from = h("input", { type: "date", name: "from", id: "filter-from" });
  const to = h("input", { type: "date", name: "to", id: "filter-to" });
  const inArea = h("input", { type: "checkbox", name: "area", id: "filter-area" });
  const apply = h("button", { type: "submit", id: "apply" }, t("apply"));
  const filters = h("form", { class: "card filters", id: "map-filters" },
    h("h1", {}, t("map_title")),
    h("p", { class: "muted" }, t("map_intro")),
    h("div", { class: "filter-grid" }, field(t("category"), category),
      field(t("report_type"), type), field(t("status"), status),
      field(t("kecamatan"), kecamatan),
      field(t("date_from"), from), field(t("date_to"), to)),
    h("label", { class: "check", for: "filter-area" }, inArea, t("only_map_area")),
    apply);
  const mapBox = h("div", { class: "map big", id: "public-map" });
  const summary = h("p", { class: "muted", id: "map-summary", "aria-live": "polite" });
  const list = h("ol", { class: "report-list", id: "map-list" });
  const pager = h("div", { class: "pager" });
  mount(filters, h("section", { class: "card" }, mapBox, summary),
    h("section", { class: "card", "aria-labelledby": "list-h" },
      h("h2", { id: "list-h" }, t("reports_list")), list, pager));

  let city = "padang";
  let names = new Map();
  try {
    const catalogue = await call("/categories");
    city = catalogue.city;
    names = new Map(catalogue.categories.map((c) => [c.code, categoryName(c)]));
    for (const c of catalogue.categories) category.append(h("option", { value: c.code }, names.get(c.code)));
  } catch (err) { showError(err); }
  for (const k of await kecamatanList(city)) kecamatan.append(h("option", { value: k.code }, k.name));
  const map = await cityMap(mapBox, city, t("map_title"));
  const markers = L.layerGroup().addTo(map);
  let page = 1;

  function query() {
    const params = new URLSearchParams({ city, page: String(page), page_size: String(PAGE_SIZE) });
    for (const [name, control] of [["category", category], ["type", type], ["status", status],
      ["kecamatan", kecamatan], ["from", from], ["to", to]]) {
      if (control.value) params.set(name, control.value);
    }
    if (inArea.checked) {
      const b = map.getBounds();
      const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(5);
      params.set("bbox", [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
        clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].join(","));
    }
    return params;
  }

  function row(r) {
    const place = r.kecamatan && r.kecamatan.name ? r.kecamatan.name : "";
    return h("li", { "data-code": r.code },
      h("a", { href: `#/track/${encodeURIComponent(r.code)}` }, r.code), " ",
      h("span", { class: "badge", "data-status": r.status }, term("st", r.status)),
      h("div", {}, names.get(r.category) || r.category,
        r.type && r.type !== "complaint" ? ` · ${t(`type_${r.type}`)}` : ""),
      h("div", { class: "muted" }, [when(r.created_at, city), place,
        located(r) ? "" : t("no_place")].filter(Boolean).join(" · ")));
  }

  async function load() {
    const data = await call(`/reports?${query()}`);
    markers.clearLayers();
    const drawn = data.items.filter(located);
    for (const r of drawn) {
      point(markers, r.location.lat, r.location.lon, { color: colour(r.status), radius: 7 })
        .bindTooltip(h("span", {}, // a node: Leaflet writes a string tooltip as HTML
          `${r.code} · ${names.get(r.category) || r.category} · ${term("st", r.status)}`))
        .on("click", () => { window.location.hash = `#/track/${encodeURIComponent(r.code)}`; });
    }
    list.replaceChildren(...data.items.map(row));
    if (!data.items.length) list.replaceChildren(h("li", { class: "muted" }, t("empty")));
    const pages = Math.max(1, Math.ceil((data.total || 0) / PAGE_SIZE));
    summary.textContent = `${t("reports_found")}: ${data.total} · ${t("on_map")}: ${drawn.length}`
      + (pages > 1 ? ` · ${t("page")} ${page}/${pages}` : "");
    const back = h("button", { type: "button", class: "secondary", id: "page-back",
      disabled: page <= 1 }, "‹");
    const next = h("button", { type: "button", class: "secondary", id: "page-next",
      disabled: page >= pages }, "›");
    back.addEventListener("click", () => { page -= 1; busy(back, load); });
    next.addEventListener("click", () => { page += 1; busy(next, load); });
    pager.replaceChildren(...(pages > 1 ? [back, next] : []));
  }

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    page = 1;
    busy(apply, load);
  });
  map.on("moveend", () => { if (inArea.checked) { page = 1; load().catch(showError); } });
  await load().catch(showError);
}
