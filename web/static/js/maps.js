// Maps without tiles from the internet: the city's boundary and its kecamatan, served by the
// gateway, are the base layer; reports are circle markers.
const cache = {};

async function boundary(name) {
  if (!cache[name]) {
    cache[name] = fetch(`/geo/${name}.geojson`).then((r) => (r.ok ? r.json() : null));
  }
  return cache[name];
}

export async function cityMap(element, city, label) {
  element.setAttribute("role", "region");
  element.setAttribute("aria-label", label);
  const map = L.map(element, { attributionControl: false, zoomSnap: 0.25 });
  const kecamatan = await boundary(`${city}_kecamatan`);
  const outline = await boundary(city);
  const layers = [];
  if (kecamatan) {
    layers.push(L.geoJSON(kecamatan, {
      style: { color: "#7a8b99", weight: 1, fillColor: "#f4f1e8", fillOpacity: 1 },
      onEachFeature: (feature, layer) => {
        const name = feature.properties && (feature.properties.name || feature.properties.NAME);
        if (name) layer.bindTooltip(String(name));
      },
    }).addTo(map));
  }
  if (outline) {
    layers.push(L.geoJSON(outline, { style: { color: "#12486b", weight: 2, fill: false } })
      .addTo(map));
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
