"""POST requests: an Open311 form becomes an intake submission, sent to the intake service over
HTTP so that it meets the same checks (fields, photo, idempotency) as any other report.

Decisions (see docs/ARCHITECTURE.md, "Open311"):
- a live photo is required, uploaded as `media` (the media upload extension); a report without
  one is refused with a 400, as Aduan's verification needs the photo's own GPS and time;
- `media_url` is refused: the gateway never fetches a URL a client names (no SSRF), and a
  remote picture cannot show it was taken on the spot;
- lat/long are required (no geocoding of `address_string`, which is kept as the address);
- the report is `anonymous`: its reporter is never shown publicly; email and phone reach the
  notification service like any reporter's; device_id and account_id are checked and echoed
  (account_id), never stored, as Aduan has no resident accounts;
- services define no attributes (metadata false), so `attribute[…]` fields are refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.datastructures import FileStorage, MultiDict

from aduan.contracts.base import CONTROL_CHARACTER, clean_text
from aduan.web.errors import ApiError

# Intake's field names as an Open311 client knows them.
FIELD_NAMES = {
    "category": "service_code",
    "description": "description",
    "location.lat": "lat",
    "location.lon": "long",
    "location.address": "address_string",
    "reporter.name": "first_name/last_name",
    "reporter.email": "email",
    "reporter.phone": "phone",
    "photo": "media",
}
_NUMBER = re.compile(r"^-?[0-9]{1,3}(\.[0-9]{1,15})?$")


@dataclass(frozen=True)
class Submission:
    report: dict[str, Any]
    media: FileStorage
    account_id: str | None


def _text(form: MultiDict, name: str, max_length: int) -> str | None:
    try:
        value = clean_text(form.get(name) or "").strip()
    except ValueError:  # 400 as every Open311 input error; the code names the reason
        raise ApiError(400, CONTROL_CHARACTER, f"{name} holds a control character: text may "
                       "hold line breaks and tabs only.") from None
    if len(value) > max_length:
        raise ApiError(400, "validation_failed", f"{name} is longer than {max_length} characters.")
    return value or None


def _coordinate(form: MultiDict, name: str) -> float:
    raw = (form.get(name) or "").strip()
    if not raw:
        raise ApiError(400, "location_required",
                       "lat and long are required (an address_string alone cannot be placed).")
    if not _NUMBER.match(raw):
        raise ApiError(400, "validation_failed", f"{name} must be a decimal number.")
    return float(raw)


def _reporter(form: MultiDict, language: str) -> dict[str, Any] | None:
    names = [_text(form, "first_name", 50), _text(form, "last_name", 50)]
    reporter: dict[str, Any] = {
        "name": " ".join(n for n in names if n) or None,
        "email": _text(form, "email", 254),
        "phone": _text(form, "phone", 20),
    }
    reporter = {k: v for k, v in reporter.items() if v is not None}
    return {**reporter, "language": language} if reporter else None


def read_form(form: MultiDict, files: MultiDict, city: str, language: str) -> Submission:
    if any(name.startswith("attribute") for name in form):
        raise ApiError(400, "unknown_attribute", "This service defines no attributes.")
    if form.get("media_url"):
        raise ApiError(400, "media_url_not_supported",
                       "media_url is not accepted: upload the photo itself as 'media' "
                       "(multipart/form-data).")
    media = files.get("media")
    if media is None:
        raise ApiError(400, "media_required",
                       "A photo taken on the spot is required as 'media' (multipart/form-data).")
    service_code = _text(form, "service_code", 40)
    if service_code is None:
        raise ApiError(400, "service_code_required", "service_code is required.")
    _text(form, "device_id", 200)
    location: dict[str, Any] = {"lat": _coordinate(form, "lat"),
                                "lon": _coordinate(form, "long")}
    address = _text(form, "address_string", 300)
    if address:
        location["address"] = address
    report: dict[str, Any] = {
        "city": city,
        "category": service_code,
        "description": _text(form, "description", 4000) or "",
        "location": location,
        "channel": "open311",
        "privacy": "anonymous",
    }
    reporter = _reporter(form, language)
    if reporter:
        report["reporter"] = reporter
    return Submission(report, media, _text(form, "account_id", 200))


def _problem(detail: dict[str, Any]) -> str:
    field = FIELD_NAMES.get(str(detail.get("field")), str(detail.get("field")))
    return f"{field}: {detail.get('message')}"


def intake_error(response: requests.Response) -> ApiError:
    """Intake's refusal, told with the Open311 field names."""
    try:
        error = response.json()["error"]
        code, message, details = error["code"], error["message"], error.get("details")
    except (ValueError, KeyError, TypeError):
        return ApiError(502, "bad_gateway", "The intake service gave an unexpected answer.")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        message = f"{message} " + "; ".join(_problem(d) for d in details)
    elif isinstance(details, dict) and details.get("field"):
        message = f"{message} ({FIELD_NAMES.get(details['field'], details['field'])})"
    status = 400 if response.status_code == 422 else response.status_code
    return ApiError(status, code, message)


def send_to_intake(session: requests.Session, intake_url: str, timeout_s: float,
                   submission: Submission, headers: dict[str, str]) -> dict[str, Any]:
    media = submission.media
    files = {
        "report": (None, json.dumps(submission.report), "application/json"),
        "photo": (media.filename or "media", media.stream,
                  media.mimetype or "application/octet-stream"),
    }
    try:
        response = session.post(f"{intake_url.rstrip('/')}/reports", files=files,
                                headers=headers, timeout=timeout_s)
    except requests.RequestException as err:
        raise ApiError(503, "service_unavailable",
                       "A backing service is unavailable; retry later.") from err
    if response.status_code != 202:
        raise intake_error(response)
    return response.json()
