"""The API gateway: the one public entry for residents, client apps and staff."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, jsonify, request

from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db, ping
from aduan.web.app import create_app as create_service_app
from gateway.clients import identify_and_limit
from gateway.open311.views import PREFIXES as OPEN311_PREFIXES
from gateway.open311.views import open311_blueprint
from gateway.openapi import build_document
from gateway.proxy import Upstream
from gateway.routes import ROUTES, Route
from gateway.staff_api import staff_blueprint
from web import install_console

API = "/api/v1"


def _upstreams(settings: Settings) -> dict[str, Upstream]:
    urls = {
        "intake": settings.intake_url,
        "verification": settings.verification_url,
        "routing": settings.routing_url,
        "notification": settings.notification_url,
    }
    return {name: Upstream(url, settings.upstream_timeout_s) for name, url in urls.items()}


def _forwarding_view(route: Route, upstream: Upstream):
    def view(**params: Any):
        path = route.upstream_path
        for name, value in params.items():
            path = path.replace(f"<{name}>", quote(str(value), safe=""))
        return upstream.forward(path)

    view.__name__ = f"{route.method.lower()}_{route.service}_{route.upstream_path}"
    return view


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    upstreams = _upstreams(settings)
    app = create_service_app(
        "gateway", settings,
        readiness={"mongo": lambda: ping(db)}
        | {name: upstream.check for name, upstream in upstreams.items()},
        startup=lambda: ensure_indexes(db),
        internal_port=settings.internal_port,
    )
    # Five photos at the intake limit plus the form fields; intake checks each photo itself.
    app.config["MAX_CONTENT_LENGTH"] = 5 * settings.max_photo_bytes + 256 * 1024

    @app.before_request
    def _clients_and_limits() -> None:
        if request.path.startswith((API, *OPEN311_PREFIXES)):
            identify_and_limit(db, settings)

    app.register_blueprint(staff_blueprint(db, settings), url_prefix=API)
    for number, prefix in enumerate(OPEN311_PREFIXES):
        app.register_blueprint(open311_blueprint(f"open311_{number}", db, settings),
                               url_prefix=prefix)
    install_console(app)
    document = build_document(API)

    @app.get(f"{API}/openapi.json")
    def openapi_document():
        return jsonify(document)
    for route in ROUTES:
        app.add_url_rule(f"{API}{route.path}", view_func=_forwarding_view(
            route, upstreams[route.service]), methods=[route.method])
    return app
