"""What the gateway's routes work with, built once per app and read with `gateway()`."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.web.app import collaborators
from gateway.proxy import Upstream


@dataclass(frozen=True)
class Gateway:
    settings: Settings
    db: Database
    upstreams: dict[str, Upstream]  # service name -> where its requests are forwarded

    @classmethod
    def of(cls, settings: Settings, backends: Backends) -> Gateway:
        """Forwarding to the services the settings name."""
        return cls(settings, backends.db, upstreams(settings))


def upstreams(settings: Settings) -> dict[str, Upstream]:
    urls = {
        "intake": settings.intake_url,
        "verification": settings.verification_url,
        "routing": settings.routing_url,
        "notification": settings.notification_url,
        "lapor": settings.lapor_url,
        "channels": settings.channels_url,
    }
    extra = {"channels": (settings.sms_inbound_secret_header,)}
    return {name: Upstream(url, settings.upstream_timeout_s, extra.get(name, ()))
            for name, url in urls.items()}


def gateway() -> Gateway:
    """The current app's collaborators (`aduan.web.app.provide`)."""
    return collaborators()
