"""What the gateway's routes work with, built once per app and read with `gateway()`."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.web.app import collaborators
from gateway.proxy import Upstream


@dataclass(frozen=True)
class Gateway:
    settings: Settings
    db: Database
    upstreams: dict[str, Upstream]  # service name -> where its requests are forwarded

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        return cls(settings, get_db(settings), upstreams(settings))


def upstreams(settings: Settings) -> dict[str, Upstream]:
    urls = {
        "intake": settings.intake_url,
        "verification": settings.verification_url,
        "routing": settings.routing_url,
        "notification": settings.notification_url,
    }
    return {name: Upstream(url, settings.upstream_timeout_s) for name, url in urls.items()}


def gateway() -> Gateway:
    """The current app's collaborators (`aduan.web.app.provide`)."""
    return collaborators()
