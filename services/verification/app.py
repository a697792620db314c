"""Verification HTTP service: the operator's verdict override, health, readiness and metrics."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from aduan.contracts.verdicts import VerdictIn
from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.web.app import collaborators, current_request_id, provide
from aduan.web.app import create_app as create_service_app
from aduan.web.auth import OPERATOR, current_principal, require_roles
from aduan.web.validation import parse_json_object, validate
from services.verification.override import VerdictOverride

blueprint = Blueprint("verification", __name__)


def _overrides() -> VerdictOverride:
    return collaborators()


@blueprint.post("/reports/<code>/verdict")
@require_roles(OPERATOR)
def override_verdict(code: str) -> Response:
    change = validate(VerdictIn, parse_json_object(request.get_data(), "The request body"))
    principal = current_principal()
    assert principal is not None  # require_roles refused the request otherwise
    return jsonify(_overrides().apply(code, change, principal, current_request_id()))


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    backends = backends or Backends(settings)
    app = create_service_app(
        "verification", settings,
        readiness={"mongo": lambda: ping(_overrides().db), "s3": lambda: _overrides().store.ping()},
        startup=lambda: ensure_indexes(_overrides().db),
    )
    provide(app, VerdictOverride.of(settings, backends))
    app.register_blueprint(blueprint)
    return app
