"""What a phone downloads to open the web console the first time: every file `index.html` and
the app's modules load (raw and gzip-compressed bytes), what the installable app adds (the
service worker /sw.js, the manifest, its icons, and the documents the worker keeps for a visit
without network, beyond the page's own files it precaches), and the map's base layer for each
city.

    .venv/bin/python bench/console_weight.py

Goals: the submit page under 300 kB gzip-compressed with the largest city's polygons, so it
opens on a slow mobile connection; and the first load, installable app included, within +20%
of the page before it (172,275 gzip bytes at commit e709cc4). Writes
bench/results/console_weight.json.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from common import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aduan.domain.report_types import category_types  # noqa: E402
from aduan.domain.status_names import console_names  # noqa: E402
from aduan.infra.catalogue import seed_categories  # noqa: E402
from aduan.infra.config import Settings  # noqa: E402
from aduan.infra.stage_views import console_city_stages  # noqa: E402
from web import map_config  # noqa: E402
from web.shell import DOCUMENTS, MANIFESTS, shell_files, worker_source  # noqa: E402

WEB = ROOT / "web"
BOUNDARIES = ROOT / "aduan" / "data" / "boundaries"
GOAL_GZIP_BYTES = 300_000
BASELINE_GZIP_BYTES = 172_275  # page_gzip_bytes before the installable app (e709cc4)
LIMIT_GZIP_BYTES = round(BASELINE_GZIP_BYTES * 1.2)


def page_files() -> list[Path]:
    html = (WEB / "index.html").read_text()
    files = [WEB / "index.html"] + [WEB / p.lstrip("/") for p in
                                    re.findall(r'(?:src|href)="(/static/[^"]+)"', html)]
    files += sorted((WEB / "static" / "js").glob("*.js"))
    return list(dict.fromkeys(files))


def packed(data: bytes, name: str = "") -> int:
    """Bytes on the wire: gzip-compressed, except images (PNG is compressed already and
    served as it is)."""
    return len(data) if name.endswith(".png") else len(gzip.compress(data, 6))


def sizes(paths: list[Path]) -> tuple[int, int]:
    raw = sum(p.stat().st_size for p in paths)
    return raw, sum(packed(p.read_bytes(), p.name) for p in paths)


def app_extras() -> dict[str, bytes]:
    """What the installable app adds to a first visit, by the address the browser asks for:
    the worker, the manifest the page links and every icon it names (counted all, though a
    browser fetches one or two), and the documents the worker keeps (asked again by it: the
    page's own requests went out before the worker was there). names.json and config.json
    are built by the server's own functions; the categories as a new deployment of the
    default city answers them (its seeded catalogue)."""
    manifest = (WEB / "pwa" / MANIFESTS["id"]).read_bytes()
    extras = {"/sw.js": worker_source().encode(), "/manifest.webmanifest": manifest}
    for icon in json.loads(manifest)["icons"]:
        extras[icon["src"]] = (WEB / icon["src"].lstrip("/")).read_bytes()
    settings = Settings()
    city = settings.default_city
    documents = {
        "/names.json": {**console_names(), "cities": console_city_stages()},
        "/config.json": {"map": {key: map_config(settings)[key]
                                 for key in ("tile_url", "attribution")}},
        # As GET /categories answers: each category with what it asks of each report type.
        "/api/v1/categories": {"city": city, "categories": [
            {**c, "types": category_types(c)} for c in seed_categories(city)]},
    }
    assert set(documents) == set(DOCUMENTS), "a document the worker keeps is not counted"
    for url, body in documents.items():
        extras[url] = json.dumps(body, default=str).encode()
    return extras


def main() -> None:
    files = page_files()
    raw, page_packed = sizes(files)
    # The worker precaches the page's own files: counted once, above (the check says so).
    assert set(shell_files()) <= set(files), "the worker precaches a file the page does not load"
    extras = app_extras()
    extras = {url: body for url, body in extras.items()
              if not (url.startswith("/static/") and WEB / url.lstrip("/") in files)}
    extras_packed = {url: packed(body, url) for url, body in extras.items()}
    first_load = page_packed + sum(extras_packed.values())
    result = {"files": {str(p.relative_to(WEB)): p.stat().st_size for p in files},
              "page_bytes": raw, "page_gzip_bytes": page_packed,
              "app_extras_bytes": {url: len(body) for url, body in extras.items()},
              "app_extras_gzip_bytes": extras_packed,
              "precached": [str(p.relative_to(WEB)) for p in shell_files()],
              "first_load_gzip_bytes": first_load,
              # The worker's install: each shell file again (no-cache, checked against its
              # hash; the HTTP cache may answer 304) and each document it keeps.
              "install_requests": len(shell_files()) + len(DOCUMENTS),
              "baseline_gzip_bytes": BASELINE_GZIP_BYTES, "limit_gzip_bytes": LIMIT_GZIP_BYTES,
              "within_limit": first_load <= LIMIT_GZIP_BYTES,
              "boundaries_gzip_bytes": {}}
    for city in sorted(p.stem for p in BOUNDARIES.glob("*.geojson") if "_" not in p.stem):
        _, geo = sizes([BOUNDARIES / f"{city}.geojson", BOUNDARIES / f"{city}_kecamatan.geojson"])
        result["boundaries_gzip_bytes"][city] = geo
    result["goal_gzip_bytes"] = GOAL_GZIP_BYTES
    result["meets_goal"] = (first_load + max(result["boundaries_gzip_bytes"].values())
                            <= GOAL_GZIP_BYTES)
    for name, size in result["files"].items():
        print(f"{size:>9,d}  {name}")
    for url, size in result["app_extras_bytes"].items():
        print(f"{size:>9,d}  {url}  ({extras_packed[url]:,d} gzip)")
    print(f"page: {raw:,d} bytes, {page_packed:,d} gzip-compressed; installable app adds "
          f"{sum(extras_packed.values()):,d} gzip; boundaries (gzip): "
          + ", ".join(f"{c} {b:,d}" for c, b in result["boundaries_gzip_bytes"].items()))
    print(f"the worker's install asks for {result['install_requests']} addresses "
          f"({len(shell_files())} shell files, {len(DOCUMENTS)} documents; the city's 2 "
          "polygon files besides)")
    print(f"first load {first_load:,d} gzip bytes: baseline {BASELINE_GZIP_BYTES:,d}, "
          f"+{100 * (first_load / BASELINE_GZIP_BYTES - 1):.1f}%, limit {LIMIT_GZIP_BYTES:,d}: "
          f"{'within' if result['within_limit'] else 'OVER'}")
    print(f"goal <= {GOAL_GZIP_BYTES:,d} gzip bytes incl. the largest boundary: "
          f"{'met' if result['meets_goal'] else 'MISSED'}")
    write_result("console_weight", result)


if __name__ == "__main__":
    main()
