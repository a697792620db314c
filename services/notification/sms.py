"""SMS through one generic HTTP provider (the request: aduan/infra/sms_provider.py).

Provider answers: 2xx sent (its `id` / `message_id`, if any, is kept as the provider status);
408, 429 and 5xx or no answer are retried; any other 4xx refuses the message for good.
"""

from __future__ import annotations

import json

import requests

from aduan.infra import sms_provider
from aduan.infra.config import Settings
from aduan.infra.sms_provider import request_parts as request_parts  # kept importable here
from aduan.infra.sms_provider import sms_enabled as sms_enabled
from services.notification.deliveries import DeliveryFailed, DeliveryRejected

RETRYABLE_STATUSES = frozenset({408, 425, 429})


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


def send_sms(settings: Settings, to: str, text: str) -> str:
    """Sends one SMS; returns the provider status. Errors never quote the number."""
    try:
        response = sms_provider.post(settings, to, text)
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
