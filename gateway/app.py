"""The API gateway: the one public entry for residents, client apps and staff."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask

from aduan.config import Settings
from aduan.web import create_app as create_service_app
from gateway.proxy import Upstream

API = "/api/v1"


def create_app() -> Flask:
    settings = Settings.from_env()
    intake = Upstream(settings.intake_url, settings.upstream_timeout_s)
    routing = Upstream(settings.routing_url, settings.upstream_timeout_s)
    app = create_service_app(
        "gateway", settings, readiness={"intake": intake.check, "routing": routing.check}
    )
    # Five photos at the intake limit plus the form fields; intake checks each photo itself.
    app.config["MAX_CONTENT_LENGTH"] = 5 * settings.max_photo_bytes + 256 * 1024

    @app.post(f"{API}/reports")
    def submit_report():
        return intake.forward("/reports")

    @app.get(f"{API}/reports/<code>")
    def get_report(code: str):
        return intake.forward(f"/reports/{quote(code, safe='')}")

    @app.get(f"{API}/categories")
    def list_categories():
        return routing.forward("/categories")

    return app
