"""Notification HTTP service: health, readiness and metrics of the notification workers."""

from __future__ import annotations

from flask import Flask

from aduan.config import Settings
from aduan.db import get_db, ping
from aduan.web import create_app as create_service_app


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    return create_service_app("notification", settings, readiness={"mongo": lambda: ping(db)})
