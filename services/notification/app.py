"""Notification HTTP service: webhook subscriptions, the delivery log, health and metrics."""

from __future__ import annotations

from flask import Flask

from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db, ping
from aduan.web.app import create_app as create_service_app
from services.notification.api import create_blueprint


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    app = create_service_app("notification", settings, readiness={"mongo": lambda: ping(db)},
                             startup=lambda: ensure_indexes(db))
    app.register_blueprint(create_blueprint(db, settings))
    return app
