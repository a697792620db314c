"""Channels HTTP service: the WhatsApp Business webhook and inbound SMS."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from services.channels import sms_inbound, whatsapp_webhook
from services.channels.sms_inbound import SmsInbound
from services.channels.whatsapp_webhook import WhatsApp

MAX_BODY_BYTES = 256 * 1024


@dataclass
class Channels:
    """What the channels' blueprints work with (`collaborators()`)."""

    whatsapp: WhatsApp
    sms: SmsInbound


def create_app(settings: Settings | None = None, backends: Backends | None = None,
               sms: SmsInbound | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise.
    `sms`: the inbound SMS handler (tests hand one with a fake intake and sender)."""
    settings = settings or Settings.from_env()
    backends = backends or Backends(settings)
    db = backends.db
    app = create_service_app("channels", settings, readiness={"mongo": lambda: ping(db)},
                             startup=lambda: ensure_indexes(db))
    # Meta's webhooks and the SMS provider's forms are a few kilobytes (media come by id):
    # a bigger body is refused before a signature is computed over it.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    provide(app, Channels(whatsapp=WhatsApp.of(settings, db),
                          sms=sms or SmsInbound.of(settings, db)))
    app.register_blueprint(whatsapp_webhook.blueprint)
    app.register_blueprint(sms_inbound.blueprint)
    return app
