"""Verification HTTP service: the operator's verdict override, health, readiness and metrics."""

from __future__ import annotations

from flask import Flask, jsonify, request

from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db, ping
from aduan.infra.images import ALLOWED_FORMATS, enable_heif
from aduan.infra.messaging import Publisher
from aduan.infra.storage import ObjectStore
from aduan.web.app import create_app as create_service_app
from aduan.web.app import current_request_id
from aduan.web.auth import OPERATOR, current_principal, require_roles
from aduan.web.validation import parse_json_object, validate
from services.verification.override import VerdictIn, VerdictOverride


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    store = ObjectStore(settings)
    overrides = VerdictOverride(
        db=db, store=store, publisher=Publisher(settings),
        max_pixels=settings.max_image_pixels,
        formats=enable_heif() if settings.heif_enabled else ALLOWED_FORMATS,
    )
    app = create_service_app(
        "verification", settings, readiness={"mongo": lambda: ping(db), "s3": store.ping},
        startup=lambda: ensure_indexes(db),
    )

    @app.post("/reports/<code>/verdict")
    @require_roles(OPERATOR)
    def override_verdict(code: str):
        change = validate(VerdictIn, parse_json_object(request.get_data(), "The request body"))
        principal = current_principal()
        assert principal is not None  # require_roles refused the request otherwise
        return jsonify(overrides.apply(code, change, principal, current_request_id()))

    return app
