"""The web console: static pages for residents, operators, agencies and leaders, served by the
gateway from the same origin. The pages use only the public API under /api/v1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, jsonify, send_from_directory

from aduan.domain.geo import BOUNDARIES
from aduan.domain.status_names import console_names
from aduan.infra.config import Settings
from aduan.infra.stage_views import console_city_stages
from aduan.web.errors import ApiError
from aduan.web.security_headers import WORKER_POLICY, console_policy
from web.shell import MANIFESTS, worker_source

HERE = Path(__file__).resolve().parent
# An XYZ tile template: http(s), a host (a leading `{s}.` for the server's subdomains), and
# {z}, {x}, {y} in the path.
_TILE_HOST = re.compile(r"^(\{s\}\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def map_config(settings: Settings) -> dict[str, Any]:
    """The base map the console draws (`/config.json`): the tile template and its
    attribution, and the source the page's CSP lets images come from; no tiles (`tile_url`
    null: the city's polygons) when the setting is empty or not a usable template."""
    url = settings.map_tile_url.strip()
    parts = urlsplit(url)
    usable = (parts.scheme in ("http", "https") and _TILE_HOST.match(parts.netloc or "")
              and all(f"{{{name}}}" in url for name in "zxy"))
    if not usable:
        return {"tile_url": None, "attribution": None, "source": None}
    host = parts.netloc.replace("{s}.", "*.", 1)
    return {"tile_url": url, "attribution": settings.map_tile_attribution.strip() or None,
            "source": f"{parts.scheme}://{host}"}


def install_console(app: Flask, settings: Settings) -> None:
    """`/` the console, `/static/...` its assets (the app's own static route, pointed here),
    `/names.json` the names of statuses and stages, `/config.json` the base map's tiles,
    `/geo/<city>[_kecamatan].geojson` the map's polygons, and the resident app's
    `/manifest.webmanifest` (`/manifest.en.webmanifest` in English) and `/sw.js`."""
    app.static_folder = str(HERE / "static")
    app.register_blueprint(_console_blueprint(map_config(settings)))


def _console_blueprint(base_map: dict[str, Any]) -> Blueprint:
    blueprint = Blueprint("console", __name__)
    policy = console_policy(base_map["source"])

    @blueprint.get("/")
    def index():
        response = send_from_directory(HERE, "index.html")
        response.headers["Content-Security-Policy"] = policy
        return response

    worker = worker_source(policy)  # the kept `/` carries this policy: a new one, a new cache

    @blueprint.get("/sw.js")
    def service_worker() -> Response:
        """The service worker at the root, so its scope is the whole console; asked again on
        every visit (`no-cache`), so a release reaches phones at their next visit."""
        response = Response(worker, mimetype="text/javascript")
        response.headers["Content-Security-Policy"] = WORKER_POLICY
        response.headers["Cache-Control"] = "no-cache"
        return response

    @blueprint.get("/manifest.webmanifest", defaults={"language": "id"})
    @blueprint.get("/manifest.en.webmanifest", defaults={"language": "en"})
    def manifest(language: str):
        """The web app manifest: Bahasa Indonesia, or English (the page swaps the link when
        the language is switched)."""
        return send_from_directory(HERE / "pwa", MANIFESTS[language],
                                   mimetype="application/manifest+json", max_age=3600)

    @blueprint.get("/config.json")
    def config() -> Response:
        """The base map (ADUAN_MAP_TILE_URL, ADUAN_MAP_TILE_ATTRIBUTION): tiles and their
        attribution, or none (the city's polygons)."""
        response = jsonify({"map": {"tile_url": base_map["tile_url"],
                                    "attribution": base_map["attribution"]}})
        response.cache_control.public = True
        response.cache_control.max_age = 300
        return response

    @blueprint.get("/names.json")
    def names() -> Response:
        """Statuses and stages in both languages, from `aduan.domain.status_names`, and the
        stage view each city shows (`cities`; the console keeps no copy)."""
        response = jsonify({**console_names(), "cities": console_city_stages()})
        response.cache_control.public = True
        response.cache_control.max_age = 300
        return response

    @blueprint.get("/geo/<name>.geojson")
    def boundary(name: str):
        """City and kecamatan polygons: the map's base layer (no tiles from the internet)."""
        city, _, part = name.partition("_")
        if not city.isalpha() or not city.islower() or part not in ("", "kecamatan") or \
                not (BOUNDARIES / f"{name}.geojson").is_file():
            raise ApiError(404, "boundary_not_found", "No boundary of this name.",
                           {"name": name})
        return send_from_directory(BOUNDARIES, f"{name}.geojson",
                                   mimetype="application/geo+json", max_age=3600)

    return blueprint
