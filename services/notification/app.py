"""Notification HTTP service: webhook subscriptions, Web Push subscriptions, the delivery log,
health and metrics."""

from __future__ import annotations

from flask import Flask

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from services.notification import vapid_keys
from services.notification.api import Context, blueprint
from services.notification.push_api import blueprint as push_blueprint


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    backends = backends or Backends(settings)
    db = backends.db
    app = create_service_app("notification", settings, readiness={"mongo": lambda: ping(db)},
                             startup=lambda: ensure_indexes(db))
    vapid_keys.from_settings(settings)  # a bad VAPID key stops the service at start
    provide(app, Context(settings, db))
    app.register_blueprint(blueprint)
    app.register_blueprint(push_blueprint)
    return app
