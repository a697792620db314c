"""The Open311 GeoReport v2 endpoints: one module-level blueprint, registered under /open311/v2
and /api/v1/open311/v2. Requests are read from intake's public list and submitted to intake,
both over HTTP, so Open311 meets the same rules as the API; services come from the catalogue."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from aduan.domain.codes import well_formed
from aduan.infra.catalogue import cities
from aduan.infra.intake_client import (
    Attachment,
    IntakeRefused,
    IntakeUnavailable,
    file_report,
)
from aduan.web.app import REQUEST_ID_HEADER, current_request_id
from aduan.web.errors import ApiError
from aduan.web.image_types import EXTENSIONS
from gateway.context import gateway
from gateway.open311 import mapping, media, queries
from gateway.open311.formats import FORMATS, render, render_errors
from gateway.open311.reads import PublicReports
from gateway.open311.submit import Submission, intake_refusal, read_form, uploaded

PREFIXES = ("/open311/v2", "/api/v1/open311/v2")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23 00:00"
# Open311 says 403 for a bad api_key; the gateway's own answer is 401.
_STATUS_OVERRIDES = {"invalid_api_key": 403, "api_key_revoked": 403}
_NOTICE = {
    "id": "Laporan {code} diterima; foto akan diperiksa lalu laporan diteruskan ke instansi "
          "yang berwenang.",
    "en": "Report {code} received; its photo will be checked and the report forwarded to the "
          "responsible agency.",
}
_NOTICE_NO_PHOTO = {
    "id": "Laporan {code} diterima tanpa foto; petugas akan memeriksanya lalu meneruskannya ke "
          "instansi yang berwenang.",
    "en": "Report {code} received without a photo; an operator will review it and forward it "
          "to the responsible agency.",
}
_NOTICE_FETCH_FAILED = {
    "id": "Gambar di media_url tidak dapat diambil ({reason}). ",
    "en": "The picture at media_url could not be fetched ({reason}). ",
}
# A token is the report id a submission's receipt gave.
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _format_of_path() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ApiError(404, "unknown_format", "Formats are .json and .xml.")
    return fmt


def _params() -> Any:
    return request.form if request.method == "POST" else request.args


def _language() -> str:
    locale = (_params().get("locale") or "").lower()[:2]
    if locale in mapping.LANGUAGES:
        return locale
    return request.accept_languages.best_match(mapping.LANGUAGES) or "id"


def _city() -> str:
    jurisdiction = _params().get("jurisdiction_id")
    if not jurisdiction:
        raise ApiError(400, "jurisdiction_required",
                       "jurisdiction_id is required: this endpoint serves "
                       + ", ".join(sorted(cities())) + ".")
    city = mapping.resolve_city(jurisdiction, cities())
    if city is None:
        raise ApiError(404, "unknown_jurisdiction", "No such jurisdiction_id.")
    return city


_sessions = threading.local()


def _session() -> requests.Session:
    if getattr(_sessions, "session", None) is None:
        _sessions.session = requests.Session()
    return _sessions.session


def _categories(city: str) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in gateway().db.categories.find(
        {"city": city, "active": {"$ne": False}}, {"_id": 0})}


def _agencies(city: str) -> dict[str, dict[str, Any]]:
    return {a["code"]: a for a in gateway().db.agencies.find(
        {"city": city}, {"_id": 0, "code": 1, "name_id": 1, "name_en": 1})}


def _public_reports() -> PublicReports:
    settings = gateway().settings
    return PublicReports(_session(), settings.intake_url, settings.upstream_timeout_s,
                         {REQUEST_ID_HEADER: current_request_id() or ""})


def _rows(found: list[dict[str, Any]], city: str) -> list[dict[str, Any]]:
    by_code, known = _categories(city), _agencies(city)
    timezone, language = cities()[city]["timezone"], _language()
    return [mapping.request_row(r, by_code.get(r["category"]), known, timezone, language)
            for r in found]


# Registered once under each of PREFIXES (gateway/app.py names each registration).
blueprint = Blueprint("open311", __name__)


@blueprint.errorhandler(ApiError)
def _api_error(err: ApiError) -> Response:
    status = _STATUS_OVERRIDES.get(err.code, err.status)
    response = render_errors(_format_of_path(), status, err.message)
    if err.status == 429 and isinstance(err.details, dict) and "retry_after" in err.details:
        response.headers["Retry-After"] = str(err.details["retry_after"])
    return response


@blueprint.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Response:
    return render_errors(_format_of_path(), err.code or 500, err.description or err.name)


@blueprint.get("/discovery.<fmt>")
def discovery(fmt: str):
    base = gateway().settings.public_base_url.rstrip("/")
    return render(_check_format(fmt), "discovery", {
        "changeset": CHANGESET,
        "contact": "Aduan: laporan warga untuk pemerintah kota / citizen reports for "
                   "city governments",
        "key_service": f"{base}/api/v1/api-keys (city sysadmins issue API keys)",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base}/open311/v2",
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })


@blueprint.get("/services.<fmt>")
def list_services(fmt: str):
    _check_format(fmt)
    city, language = _city(), _language()
    known = _agencies(city)
    services = [mapping.service(c, known, language)
                for _, c in sorted(_categories(city).items())]
    return render(fmt, "services", services)


@blueprint.get("/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str):
    _check_format(fmt)
    category = _categories(_city()).get(service_code)
    if category is None:
        raise ApiError(404, "unknown_service", "No such service_code.")
    return render(fmt, "service_definition",
                  mapping.service_definition(category, _language()))


def _photo(submission: Submission, report: dict[str, Any]) -> Attachment | None:
    """The uploaded photo, or the picture at media_url (fetched once); when that fails, the
    report records why (`media_fetch_failed`) and goes without."""
    if submission.media is not None:
        return uploaded(submission.media)
    if not submission.media_url:
        return None
    fetched = media.fetch_or_reason(gateway().settings, submission.media_url)
    if isinstance(fetched, str):
        report["media_fetch_failed"] = fetched
        return None
    return Attachment(f"media_url.{EXTENSIONS[fetched.content_type]}", fetched.data,
                 fetched.content_type)


def _notice(language: str, code: str, photo: Attachment | None, report: dict[str, Any]) -> str:
    if photo is not None:
        return _NOTICE[language].format(code=code)
    failed = report.get("media_fetch_failed")
    return (_NOTICE_FETCH_FAILED[language].format(reason=failed) if failed else "") \
        + _NOTICE_NO_PHOTO[language].format(code=code)


@blueprint.post("/requests.<fmt>")
def create_request(fmt: str):
    _check_format(fmt)
    if g.get("client_app") is None:  # the key itself was checked by the gateway
        raise ApiError(400, "api_key_required", "api_key is required to submit.")
    city, language = _city(), _language()
    submission = read_form(request.form, request.files, city, language)
    report = submission.report
    # Before any fetch: a media_url is not fetched for a request intake would refuse anyway.
    if report["category"] not in _categories(city):
        raise ApiError(400, "unknown_category", "No such category in this city (service_code).")
    photo = _photo(submission, report)
    settings = gateway().settings
    try:
        receipt = file_report(_session(), settings.intake_url, settings.upstream_timeout_s,
                              "open311", report, [photo] if photo else [],
                              request.headers.get("Idempotency-Key"), current_request_id())
    except IntakeRefused as err:
        raise intake_refusal(err.status, err.body) from None
    except IntakeUnavailable as err:
        raise ApiError(503, "service_unavailable",
                       "A backing service is unavailable; retry later.") from err
    return render(fmt, "service_requests", [{
        "service_request_id": receipt["code"],
        "token": receipt["id"],
        "service_notice": _notice(language, receipt["code"], photo, report),
        "account_id": submission.account_id,
    }])


@blueprint.get("/tokens/<token>.<fmt>")
def token(token: str, fmt: str):
    _check_format(fmt)
    city = _city()
    # A report the public may not see is the same answer as a token never handed out.
    found = _public_reports().rows({"city": city, "id": token}, 0, 1) \
        if _TOKEN.match(token) else []
    if not found:
        raise ApiError(404, "unknown_token", "No request has this token.")
    return render(fmt, "service_requests", [{"service_request_id": found[0]["code"],
                                             "token": token}])


@blueprint.get("/requests.<fmt>")
def list_requests(fmt: str):
    _check_format(fmt)
    city = _city()
    query = queries.parse(dict(request.args.items()))
    zone = ZoneInfo(cities()[city]["timezone"])
    params = queries.intake_params(query, city, zone, datetime.now(UTC))
    found = _public_reports().rows(params, (query.page - 1) * query.page_size,
                                   query.page_size)
    return render(fmt, "service_requests", _rows(found, city))


@blueprint.get("/requests/<service_request_id>.<fmt>")
def get_request(service_request_id: str, fmt: str):
    _check_format(fmt)
    city = _city()
    # A report the public may not see is the same answer as a missing one.
    found = _public_reports().one(service_request_id, city) \
        if well_formed(service_request_id) else None
    if found is None:
        raise ApiError(404, "unknown_request", "No request has this service_request_id.")
    return render(fmt, "service_requests", _rows([found], city))
