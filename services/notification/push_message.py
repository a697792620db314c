"""One Web Push message to one device, as planned (`services.notification.push`) and then sent:
where it goes, the keys it is encrypted to, and its JSON payload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PushMessage:
    subscription_id: str
    endpoint: str
    p256dh: str
    auth: str
    payload: dict[str, Any]  # {code, title, body, url, stage, status}: nothing of the reporter
    vapid_key: str | None = None  # the public key it was made under; None: made before we kept it
