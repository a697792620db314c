#!/usr/bin/env bash
# Copies the web console's map and chart libraries from npm into web/static/vendor/ (committed,
# so nothing is fetched at run time). Run after changing web/vendor-src/package.json.
set -euo pipefail
cd "$(dirname "$0")/../web/vendor-src"
npm ci --no-audit --no-fund
out=../static/vendor
rm -rf "$out" && mkdir -p "$out/leaflet/images" "$out/chart.js"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out/leaflet/images/"
cp node_modules/leaflet/LICENSE "$out/leaflet/LICENSE"
cp node_modules/chart.js/dist/chart.umd.js "$out/chart.js/"
cp node_modules/chart.js/LICENSE.md "$out/chart.js/LICENSE.md"
{
  echo "Vendored by scripts/vendor_web.sh from the npm registry; do not edit."
  for pkg in leaflet chart.js; do
    node -e "const p=require('./node_modules/$pkg/package.json');console.log(p.name+' '+p.version+' ('+p.license+')')"
  done
} > "$out/VERSIONS.txt"
