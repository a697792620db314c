"""The generic HTTP SMS provider, one request: a JSON POST to ADUAN_SMS_URL.

Shared by the notifier (status messages, with its delivery log: services/notification/sms.py)
and the channels service (its immediate answers to an inbound SMS: help, STOP), so both speak
to the provider the same way.

The body is ADUAN_SMS_BODY_TEMPLATE, a JSON document whose string values may hold the
placeholders {to}, {text} and {sender}; they are filled in after the template is parsed, so a
message can hold any character without breaking the JSON. ADUAN_SMS_AUTH_HEADER
("Name: value") is sent as is, e.g. "Authorization: Bearer KEY" or "X-Api-Key: KEY".
"""

from __future__ import annotations

import json
from typing import Any

import requests

from aduan.infra.config import Settings

PLACEHOLDERS = ("to", "text", "sender")


def sms_enabled(settings: Settings) -> bool:
    return bool(settings.sms_url)


def fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, dict):
        return {key: fill(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template


def request_parts(settings: Settings, to: str, text: str) -> tuple[dict[str, str], Any]:
    headers = {"Content-Type": "application/json", "User-Agent": "Aduan-SMS/1"}
    if settings.sms_auth_header:
        name, _, value = settings.sms_auth_header.partition(":")
        headers[name.strip()] = value.strip()
    body = fill(json.loads(settings.sms_body_template),
                {"to": to, "text": text, "sender": settings.sms_sender})
    return headers, body


def post(settings: Settings, to: str, text: str,
         session: requests.Session | None = None) -> requests.Response:
    """One POST to the provider; raises requests' exceptions when no answer came."""
    headers, body = request_parts(settings, to, text)
    return (session or requests).post(settings.sms_url, json=body, headers=headers,
                                      timeout=settings.sms_timeout_s)


class SmsNotSent(Exception):
    """No answer from the provider, or an answer that is not 2xx (the message says which)."""


class SmsProvider:
    """The provider as an object with the session it sends through: what the channels service
    is handed for its answers (tests hand a fake with the same `send`)."""

    def __init__(self, settings: Settings, session: requests.Session) -> None:
        self.settings = settings
        self.session = session

    def send(self, to: str, text: str) -> str:
        """Sends one SMS; returns "HTTP <status>"; SmsNotSent otherwise (never the number)."""
        try:
            response = post(self.settings, to, text, self.session)
        except requests.RequestException as err:
            raise SmsNotSent(type(err).__name__) from None
        if not 200 <= response.status_code < 300:
            raise SmsNotSent(f"HTTP {response.status_code}")
        return f"HTTP {response.status_code}"
