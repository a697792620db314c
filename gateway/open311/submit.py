"""POST requests: an Open311 form becomes an intake submission, sent to the intake service over
HTTP so that it meets the same checks (fields, photo, idempotency) as any other report.

Decisions (see docs/ARCHITECTURE.md, "Open311"):
- the spec's own form (`application/x-www-form-urlencoded`) and the media upload extension
  (`multipart/form-data` with the photo as `media`) are both accepted;
- the photo is optional: a report without one is filed `no_photo` and an operator reviews it
  (Aduan's photo checks need the photo's own GPS and time, which no photo has);
- `media_url` is fetched once, safely (`gateway/open311/media.py`), and submitted as the photo,
  so intake and verification judge it as any upload; an uploaded `media` wins over it. When
  the fetch fails the report is still filed without a photo, with `media_fetch_failed` (the
  reason) for the operators, and the answer's service_notice says so;
- lat/long give the point; `address_string` is kept as the address (never geocoded) and alone
  is the location when there is no point; neither: no location, which intake accepts only for
  a type whose category lets it go without one;
- the report type is the one attribute, `attribute[type]` (complaint by default), listed in
  each service definition with the types the category accepts; any other attribute is refused;
- the report is `anonymous`: its reporter is never shown publicly; email and phone reach the
  notification service like any reporter's; device_id and account_id are checked and echoed
  (account_id), never stored, as Aduan has no resident accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.datastructures import FileStorage, MultiDict

from aduan.contracts.base import CONTROL_CHARACTER, clean_text
from aduan.infra.intake_client import Attachment
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
    "type": "attribute[type]",
}
TYPE_ATTRIBUTE = "attribute[type]"
_NUMBER = re.compile(r"^-?[0-9]{1,3}(\.[0-9]{1,15})?$")


@dataclass(frozen=True)
class Submission:
    report: dict[str, Any]
    media: FileStorage | None  # the uploaded photo, if any
    media_url: str | None  # to fetch when nothing was uploaded
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
    if not _NUMBER.match(raw):
        raise ApiError(400, "validation_failed", f"{name} must be a decimal number.")
    return float(raw)


def _location(form: MultiDict) -> dict[str, Any] | None:
    """The point and the address as given; the address alone; or None."""
    given = [bool((form.get(name) or "").strip()) for name in ("lat", "long")]
    location: dict[str, Any] = {}
    if any(given):
        if not all(given):
            raise ApiError(400, "validation_failed", "lat and long come together.")
        location = {"lat": _coordinate(form, "lat"), "lon": _coordinate(form, "long")}
    address = _text(form, "address_string", 300)
    if address:
        location["address"] = address
    return location or None


def _reporter(form: MultiDict, language: str) -> dict[str, Any] | None:
    names = [_text(form, "first_name", 50), _text(form, "last_name", 50)]
    reporter: dict[str, Any] = {
        "name": " ".join(n for n in names if n) or None,
        "email": _text(form, "email", 254),
        "phone": _text(form, "phone", 20),
    }
    reporter = {k: v for k, v in reporter.items() if v is not None}
    return {**reporter, "language": language} if reporter else None


def _report_type(form: MultiDict) -> str | None:
    unknown = [name for name in form if name.startswith("attribute") and name != TYPE_ATTRIBUTE]
    if unknown:
        raise ApiError(400, "unknown_attribute",
                       f"Unknown attribute: the only one is {TYPE_ATTRIBUTE} (see the service "
                       "definition's attributes).")
    return _text(form, TYPE_ATTRIBUTE, 40)


def read_form(form: MultiDict, files: MultiDict, city: str, language: str) -> Submission:
    report_type = _report_type(form)
    media = files.get("media")
    media_url = None if media is not None else _text(form, "media_url", 2000)
    service_code = _text(form, "service_code", 40)
    if service_code is None:
        raise ApiError(400, "service_code_required", "service_code is required.")
    _text(form, "device_id", 200)
    report: dict[str, Any] = {
        "city": city,
        "category": service_code,
        "description": _text(form, "description", 4000) or "",
        "location": _location(form),
        "channel": "open311",
        "privacy": "anonymous",
    }
    if report_type:
        report["type"] = report_type
    reporter = _reporter(form, language)
    if reporter:
        report["reporter"] = reporter
    return Submission(report, media, media_url, _text(form, "account_id", 200))


def uploaded(media: FileStorage) -> Attachment:
    return Attachment(media.filename or "media", media.stream,
                 media.mimetype or "application/octet-stream")


def _problem(detail: dict[str, Any]) -> str:
    field = FIELD_NAMES.get(str(detail.get("field")), str(detail.get("field")))
    return f"{field}: {detail.get('message')}"


def intake_error(response: requests.Response) -> ApiError:
    """Intake's refusal, told with the Open311 field names."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return intake_refusal(response.status_code, body)


def intake_refusal(status: int, body: Any) -> ApiError:
    """Intake's answer `status` with JSON `body`, told with the Open311 field names."""
    try:
        error = body["error"]
        code, message, details = error["code"], error["message"], error.get("details")
    except (KeyError, TypeError):
        return ApiError(502, "bad_gateway", "The intake service gave an unexpected answer.")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        message = f"{message} " + "; ".join(_problem(d) for d in details)
    elif isinstance(details, dict) and details.get("field"):
        message = f"{message} ({FIELD_NAMES.get(details['field'], details['field'])})"
    return ApiError(400 if status == 422 else status, code, message)
