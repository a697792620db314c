"""What a phone downloads to open the web console: every file `index.html` and the app's
modules load (raw and gzip-compressed bytes), and the map's base layer for each city.

    .venv/bin/python bench/console_weight.py

Goal: the submit page under 300 kB gzip-compressed, so it opens on a slow mobile connection.
Writes bench/results/console_weight.json.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from common import write_result

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
BOUNDARIES = ROOT / "aduan" / "data" / "boundaries"
GOAL_GZIP_BYTES = 300_000


def page_files() -> list[Path]:
    html = (WEB / "index.html").read_text()
    files = [WEB / "index.html"] + [WEB / p.lstrip("/") for p in
                                    re.findall(r'(?:src|href)="(/static/[^"]+)"', html)]
    files += sorted((WEB / "static" / "js").glob("*.js"))
    return list(dict.fromkeys(files))


def sizes(paths: list[Path]) -> tuple[int, int]:
    raw = sum(p.stat().st_size for p in paths)
    packed = sum(len(gzip.compress(p.read_bytes(), 6)) for p in paths)
    return raw, packed


def main() -> None:
    files = page_files()
    raw, packed = sizes(files)
    result = {"files": {str(p.relative_to(WEB)): p.stat().st_size for p in files},
              "page_bytes": raw, "page_gzip_bytes": packed, "boundaries_gzip_bytes": {}}
    for city in sorted(p.stem for p in BOUNDARIES.glob("*.geojson") if "_" not in p.stem):
        _, geo = sizes([BOUNDARIES / f"{city}.geojson", BOUNDARIES / f"{city}_kecamatan.geojson"])
        result["boundaries_gzip_bytes"][city] = geo
    result["goal_gzip_bytes"] = GOAL_GZIP_BYTES
    result["meets_goal"] = packed + max(result["boundaries_gzip_bytes"].values()) <= GOAL_GZIP_BYTES
    for name, size in result["files"].items():
        print(f"{size:>9,d}  {name}")
    print(f"page: {raw:,d} bytes, {packed:,d} gzip-compressed; boundaries (gzip): "
          + ", ".join(f"{c} {b:,d}" for c, b in result["boundaries_gzip_bytes"].items()))
    print(f"goal <= {GOAL_GZIP_BYTES:,d} gzip bytes incl. the largest boundary: "
          f"{'met' if result['meets_goal'] else 'MISSED'}")
    write_result("console_weight", result)


if __name__ == "__main__":
    main()
