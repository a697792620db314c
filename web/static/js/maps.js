// The console's maps. The base layer is the tile server the gateway names in /config.json
// (ADUAN_MAP_TILE_URL, OpenStreetMap-style tiles, with its attribution) under the city's
// kecamatan outlines; without one, or when its tiles cannot be loaded, the city's boundary and
// kecamatan polygons served by the gateway are the whole base layer. Reports are circle markers.
const cache = {};
let config = null;
// No tile loaded this long after the map opened: the tile server is taken as unreachable.
const TILE_TIMEOUT_MS = 8000;

async function boundary(name) {
  if (!cache[name]) {
    cache[name] = fetch(`/geo/${name}.geojson`).then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
  }
  return cache[name];
}

function baseMap() {
  config = config || fetch("/config.json").then((r) => (r.ok ? r.json() : {}))
    .then((c) => c.map || {}).catch(() => ({}));
  return config;
}

// Leaflet writes attributions as HTML: the configured text goes in as text.
function asText(value) {
  return String(value || "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const FILLED = { color: "#7a8b99", weight: 1, opacity: 1, fill: true, fillColor: "#f4f1e8",
  fillOpacity: 1 };
const OUTLINED = { color: "#12486b", weight: 1, opacity: 0.6, fill: false };

// The kecamatan of a city as [{code, name}] (the polygons' own properties), by name.
export async function kecamatanList(city) {
  const areas = await boundary(`${city}_kecamatan`);
  return ((areas && areas.features) || [])
    .map((f) => ({ code: f.properties.kode || f.properties.code, name: f.properties.name }))
    .filter((k) => k.code && k.name)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function cityMap(element, city, label) {
  element.setAttribute("role", "region");
  element.setAttribute("aria-label", label);
  const { tile_url: tileUrl, attribution } = await baseMap();
  const map = L.map(element, { attributionControl: Boolean(tileUrl), zoomSnap: 0.25 });
  if (map.attributionControl) map.attributionControl.setPrefix(false);
  const kecamatan = await boundary(`${city}_kecamatan`);
  const outline = await boundary(city);
  const layers = [];
  let areas = null;
  if (kecamatan) {
    areas = L.geoJSON(kecamatan, {
      style: tileUrl ? OUTLINED : FILLED,
      onEachFeature: (feature, layer) => {
        const name = feature.properties && (feature.properties.name || feature.properties.NAME);
        if (name) layer.bindTooltip(String(name));
      },
    }).addTo(map);
    layers.push(areas);
  }
  if (outline) {
    layers.push(L.geoJSON(outline, { style: { color: "#12486b", weight: 2, fill: false } })
      .addTo(map));
  }
  element.dataset.base = "polygons";
  if (tileUrl) {
    const tiles = L.tileLayer(tileUrl, { attribution: asText(attribution), maxZoom: 19 });
    let loaded = false;
    const fallBack = () => {
      if (loaded || !map.hasLayer(tiles)) return;
      map.removeLayer(tiles);
      if (areas) areas.setStyle(FILLED);
      element.dataset.base = "polygons";
    };
    tiles.on("tileload", () => { loaded = true; element.dataset.base = "tiles"; });
    tiles.on("tileerror", fallBack);
    setTimeout(fallBack, TILE_TIMEOUT_MS);
    tiles.addTo(map);
    tiles.bringToBack();
    element.dataset.base = "loading";
  }
  const bounds = layers.length ? layers[layers.length - 1].getBounds() : null;
  if (bounds && bounds.isValid()) map.fitBounds(bounds);
  else map.setView([-0.95, 100.4], 11);
  return map;
}

export function point(map, lat, lon, options = {}) {
  return L.circleMarker([lat, lon], {
    radius: options.radius || 8, color: "#fff", weight: 2,
    fillColor: options.color || "#c0392b", fillOpacity: 0.9,
  }).addTo(map);
}
