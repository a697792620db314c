"""Intake HTTP service: accepts reports, serves them back, lists them for the public and staff
(routes: services/intake/api.py, photo_files.py, public_api.py: nearby reports and
followers, recovery.py: the reporter's one-time code, and resumable.py: photos sent in
chunks)."""

from __future__ import annotations

from flask import Flask

from aduan.infra.backends import Backends
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.infra.outbox import defer_pulls, pull_interval
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from services.intake import api, photo_files, public_api, recovery, resumable, uploads


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    backends_given = backends
    if backends is None:  # the real servers: published events leave the outbox in one write
        backends = Backends(settings)  # for many reports (tests' fakes keep one per report)
        defer_pulls(backends.db, pull_interval(settings.outbox_relay_after_s))
    db, store = backends.db, backends.store
    context = api.Context.of(settings, db, store, backends.publisher)

    def startup() -> None:
        ensure_indexes(db)
        ensure_seeded(db)
        store.ensure_buckets()

    app = create_service_app("intake", settings,
                             readiness={"mongo": lambda: ping(db), "s3": store.ping},
                             startup=startup)
    app.config["MAX_CONTENT_LENGTH"] = uploads.MAX_PHOTOS * settings.max_photo_bytes + 256 * 1024
    provide(app, context)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(photo_files.blueprint)
    app.register_blueprint(public_api.blueprint)
    app.register_blueprint(recovery.blueprint)
    app.register_blueprint(resumable.blueprint)
    if backends_given is None:  # expired uploads purged off the request path, per process
        purger = resumable.Purger(db, store, settings.upload_purge_every_s)
        app.before_request(purger.ensure_running)
    return app
