"""The API gateway: the one public entry for residents, client apps and staff."""

from __future__ import annotations

from flask import Flask, request

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from gateway.clients import identify_and_limit
from gateway.context import Gateway, gateway
from gateway.forwarding import API, forwarding
from gateway.open311.views import PREFIXES as OPEN311_PREFIXES
from gateway.open311.views import blueprint as open311
from gateway.routes import CHUNK_PATH
from gateway.staff_api import staff
from web import install_console

__all__ = ["API", "create_app"]
MAX_DELETE_BODY_BYTES = 4 * 1024


def _clients_and_limits() -> None:
    if request.path.startswith((API, *OPEN311_PREFIXES)):
        identify_and_limit(gateway().db, gateway().settings)
    if request.url_rule is not None and request.url_rule.rule == API + CHUNK_PATH:
        # One chunk, not five photos: a longer body is refused (413) before it is read.
        request.max_content_length = gateway().settings.upload_chunk_bytes
    elif request.method == "DELETE":
        # A DELETE's body names at most a push endpoint (2,048 characters): a longer one is
        # refused (413) before it is read or passed on.
        request.max_content_length = MAX_DELETE_BODY_BYTES


def _upstream_check(name: str):
    return lambda: gateway().upstreams[name].check()


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    collaborators = Gateway.of(settings, backends or Backends(settings))
    app = create_service_app(
        "gateway", settings,
        readiness={"mongo": lambda: ping(gateway().db)}
        | {name: _upstream_check(name) for name in collaborators.upstreams},
        startup=lambda: ensure_indexes(gateway().db),
        internal_port=settings.internal_port,
    )
    provide(app, collaborators)
    # Five photos at the intake limit plus the form fields; intake checks each photo itself.
    app.config["MAX_CONTENT_LENGTH"] = 5 * settings.max_photo_bytes + 256 * 1024
    app.before_request(_clients_and_limits)
    app.register_blueprint(staff, url_prefix=API)
    for number, prefix in enumerate(OPEN311_PREFIXES):
        app.register_blueprint(open311, url_prefix=prefix, name=f"open311_{number}")
    install_console(app, settings)
    app.register_blueprint(forwarding, url_prefix=API)
    return app
