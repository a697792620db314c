"""SMS through one generic HTTP provider: a JSON POST to ADUAN_SMS_URL.

The body is ADUAN_SMS_BODY_TEMPLATE, a JSON document whose string values may hold the
placeholders {to}, {text} and {sender}; they are filled in after the template is parsed, so a
message can hold any character without breaking the JSON. ADUAN_SMS_AUTH_HEADER
("Name: value") is sent as is, e.g. "Authorization: Bearer KEY" or "X-Api-Key: KEY".

Provider answers: 2xx sent (its `id` / `message_id`, if any, is kept as the provider status);
408, 429 and 5xx or no answer are retried; any other 4xx refuses the message for good.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from aduan.infra.config import Settings
from services.notification.deliveries import DeliveryFailed, DeliveryRejected

PLACEHOLDERS = ("to", "text", "sender")
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def sms_enabled(settings: Settings) -> bool:
    return bool(settings.sms_url)


def check_configuration(settings: Settings) -> None:
    """Refuses a template or auth header that can never work, at start-up rather than later."""
    if not sms_enabled(settings):
        return
    template = json.loads(settings.sms_body_template)
    if not isinstance(template, dict):
        raise ValueError("ADUAN_SMS_BODY_TEMPLATE must be a JSON object")
    if "{to}" not in settings.sms_body_template or "{text}" not in settings.sms_body_template:
        raise ValueError("ADUAN_SMS_BODY_TEMPLATE must place {to} and {text}")
    if settings.sms_auth_header and ":" not in settings.sms_auth_header:
        raise ValueError('ADUAN_SMS_AUTH_HEADER must read "Name: value"')


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


def send_sms(settings: Settings, to: str, text: str) -> str:
    """Sends one SMS; returns the provider status. Errors never quote the number."""
    headers, body = request_parts(settings, to, text)
    try:
        response = requests.post(settings.sms_url, json=body, headers=headers,
                                 timeout=settings.sms_timeout_s)
    except requests.RequestException as err:
        raise DeliveryFailed(f"SMS provider unreachable: {type(err).__name__}") from None
    status = f"HTTP {response.status_code}"
    if 200 <= response.status_code < 300:
        return f"{status} {_provider_id(response)}".strip()
    if 400 <= response.status_code < 500 and response.status_code not in RETRYABLE_STATUSES:
        raise DeliveryRejected(status)
    raise DeliveryFailed(status)


def _provider_id(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    if isinstance(answer, dict):
        for key in ("message_id", "id", "messageId"):
            if isinstance(answer.get(key), str | int):
                return f"id={answer[key]}"
    return ""
