"""How messages leave: email over SMTP, SMS through the HTTP provider, WhatsApp through the
Graph API, webhooks over pinned HTTP. The notifier, the dispatcher and the digest are given a
`Senders`; unit tests give them in-memory ones (tests/fakes.py) that keep what they were asked
to send.

Each sender raises `DeliveryRejected` (refused for good) or `DeliveryFailed` (may pass) and
never quotes the recipient's address in either; a webhook sender raises `TargetRefused` for an
address the rule refuses and urllib3's `HTTPError` when no answer came.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aduan.infra import pinned_http
from aduan.infra.config import Settings
from aduan.infra.whatsapp_graph import GraphApi
from services.notification.email import SmtpConnection
from services.notification.sms import send_sms
from services.notification.templates import Rendered
from services.notification.webhook_targets import resolve_target
from services.notification.whatsapp import WhatsAppMessage, send_whatsapp


class EmailSender(Protocol):
    def send(self, to: str, message: Rendered, message_id: str) -> str:
        """Sends one email; returns the server's reply to it."""
        ...


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> str:
        """Sends one SMS; returns the provider's status."""
        ...


class WhatsAppSender(Protocol):
    def send(self, to: str, message: WhatsAppMessage, in_window: bool) -> str:
        """Sends one message (free text inside the 24-hour window, else the template);
        returns the API's status."""
        ...


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POSTs to `url` (checked against the address rule at every attempt); returns the
        HTTP status."""
        ...


class SmtpSender:
    """One SMTP connection per process, kept open from one message to the next."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection = SmtpConnection(settings)

    def send(self, to: str, message: Rendered, message_id: str) -> str:
        return self.connection.send(to, message, message_id)


class HttpSmsSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, to: str, text: str) -> str:
        return send_sms(self.settings, to, text)


class GraphWhatsAppSender:
    def __init__(self, settings: Settings, api: GraphApi | None = None) -> None:
        self.settings = settings
        self.api = api or GraphApi(settings)

    def send(self, to: str, message: WhatsAppMessage, in_window: bool) -> str:
        return send_whatsapp(self.api, self.settings, to, message, in_window)


class PinnedWebhookSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        # Resolved again at every attempt: the name may point elsewhere by now.
        target = resolve_target(self.settings, url)
        return pinned_http.post(target, url, body, headers, self.settings.webhook_timeout_s).status


@dataclass(frozen=True)
class Senders:
    email: EmailSender
    sms: SmsSender
    webhook: WebhookSender
    whatsapp: WhatsAppSender | None = None  # None: no WhatsApp messages are sent

    @classmethod
    def from_settings(cls, settings: Settings) -> Senders:
        return cls(SmtpSender(settings), HttpSmsSender(settings), PinnedWebhookSender(settings),
                   GraphWhatsAppSender(settings))
