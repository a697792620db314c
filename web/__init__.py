"""The web console: static pages for residents, operators, agencies and leaders, served by the
gateway from the same origin. The pages use only the public API under /api/v1."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, jsonify, send_from_directory

from aduan.domain.geo import BOUNDARIES
from aduan.domain.status_names import console_names
from aduan.infra.stage_views import console_city_stages
from aduan.web.errors import ApiError
from aduan.web.security_headers import CONSOLE_POLICY

HERE = Path(__file__).resolve().parent


def install_console(app: Flask) -> None:
    """`/` the console, `/static/...` its assets (the app's own static route, pointed here),
    `/names.json` the names of statuses and stages, `/geo/<city>[_kecamatan].geojson` the
    map's base layer."""
    app.static_folder = str(HERE / "static")
    app.register_blueprint(_console_blueprint())


def _console_blueprint() -> Blueprint:
    blueprint = Blueprint("console", __name__)

    @blueprint.get("/")
    def index():
        response = send_from_directory(HERE, "index.html")
        response.headers["Content-Security-Policy"] = CONSOLE_POLICY
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
