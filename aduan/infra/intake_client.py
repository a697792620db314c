"""How a connector of the platform files a report with intake: one multipart POST, naming its
channel in `CHANNEL_HEADER`, which the gateway's proxy never forwards from outside.

Used by the gateway's Open311 endpoint, the SP4N-LAPOR! connector and the channels service
(WhatsApp, SMS). An `Idempotency-Key` makes a retried filing the same report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any

import requests

from aduan.web.app import CHANNEL_HEADER, REQUEST_ID_HEADER


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes | IO[bytes]  # an upload's stream is sent as it is read
    content_type: str


class IntakeRefused(Exception):
    """Intake answered 4xx: the filing will not succeed as it is (the error body is kept)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"intake refused the report: {status} {body}")
        self.status = status
        self.body = body

    @property
    def code(self) -> str | None:
        try:
            return self.body["error"]["code"]
        except (KeyError, TypeError):
            return None


class IntakeUnavailable(Exception):
    """Intake could not be reached or failed (5xx): retry later."""


def file_report(session: requests.Session, intake_url: str, timeout_s: float, channel: str,
                report: dict[str, Any], photos: list[Attachment] = (),  # type: ignore[assignment]
                idempotency_key: str | None = None, request_id: str | None = None,
                ) -> dict[str, Any]:
    """Files `report` (ReportIn's fields; `channel` is set here) with its photos; intake's
    receipt (code, token, ...)."""
    files: list[tuple[str, tuple]] = [
        ("report", (None, json.dumps({**report, "channel": channel}), "application/json"))]
    files.extend(("photo", (p.filename, p.data, p.content_type)) for p in photos)
    headers = {CHANNEL_HEADER: channel, REQUEST_ID_HEADER: request_id or ""}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    try:
        response = session.post(f"{intake_url.rstrip('/')}/reports", files=files,
                                headers=headers, timeout=timeout_s)
    except requests.RequestException as err:
        raise IntakeUnavailable(type(err).__name__) from err
    if response.status_code >= 500:
        raise IntakeUnavailable(f"intake answered {response.status_code}")
    if response.status_code != 202:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:200]
        raise IntakeRefused(response.status_code, body)
    return response.json()
