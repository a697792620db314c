"""Intake's HTTP API: reports are filed, read back (as the visibility policy lets each caller:
aduan.web.report_access), commented on, and listed for the public and for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request
from pymongo.database import Database

from aduan.contracts.queries import PublicListQuery, StaffListQuery
from aduan.contracts.reports import CommentIn, ReportIn
from aduan.domain import report_types
from aduan.infra.catalogue import CategoryCache, cities
from aduan.infra.config import Settings
from aduan.infra.messaging import Publisher
from aduan.infra.storage import ObjectStore
from aduan.web.app import CHANNEL_HEADER, collaborators, current_request_id
from aduan.web.auth import (
    COMMENTING_ROLES,
    OPERATOR,
    ROLES,
    SYSADMIN,
    authorised_principal,
    current_principal,
    require_roles,
)
from aduan.web.errors import ApiError
from aduan.web.photos import read_uploaded_renditions
from aduan.web.report_access import find_for_request, staff_report
from aduan.web.validation import parse_json_object, validate
from services.intake import comments, resumable, uploads
from services.intake.queries import public_filter, staff_filter
from services.intake.submission import Intake
from services.intake.views import as_geojson, public_row, report_view, staff_view, summary

# Open311 GeoReport v2 clients submit for residents through the gateway.
RESIDENT_CHANNELS = report_types.RESIDENT_CHANNELS
STAFF_FILING_ROLES = (OPERATOR, SYSADMIN)


@dataclass(frozen=True)
class Context:
    """What the routes work with (`aduan.web.app.provide`)."""

    settings: Settings
    db: Database
    store: ObjectStore
    intake: Intake
    categories: CategoryCache

    @classmethod
    def of(cls, settings: Settings, db: Database, store: ObjectStore,
           publisher: Publisher | None) -> Context:
        return cls(settings, db, store, Intake(settings, db, store, publisher),
                   CategoryCache(db))


def _context() -> Context:
    return collaborators()



def _city_zone(city: str) -> ZoneInfo:
    return ZoneInfo(cities()[city]["timezone"])


def _page(conditions: dict, sort: str, page: int, page_size: int, full: bool = False,
          count: bool = True) -> tuple[list[dict], int | None]:
    context = _context()
    field, direction = sort.lstrip("-"), (-1 if sort.startswith("-") else 1)
    cursor = (context.db.reports.find(conditions, {"history": 0, "outbox": 0})
              .sort([(field, direction), ("_id", direction)])
              .skip((page - 1) * page_size).limit(page_size))
    base_url = context.settings.public_base_url
    rows = [public_row(r, base_url) if full else summary(r) for r in cursor]
    return rows, context.db.reports.count_documents(conditions) if count else None


blueprint = Blueprint("intake_api", __name__)


@blueprint.post("/reports")
def submit_report() -> tuple[Response, int]:
    context, settings = _context(), _context().settings
    uploads.require_multipart()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
        raise ApiError(400, "invalid_idempotency_key",
                       "Idempotency-Key must be 1 to 128 printable characters.")
    payload = validate(ReportIn, uploads.json_part("report"))
    principal = current_principal()
    filed_by = None
    connector = request.headers.get(CHANNEL_HEADER)
    from_connector = connector is not None and connector == payload.channel \
        and connector in report_types.CONNECTOR_CHANNELS
    if payload.channel == "open311" and not from_connector:
        # Open311 files without a photo for operator review: only through the gateway's
        # Open311 endpoint (its API key), not by naming the channel on POST /reports.
        raise ApiError(403, "channel_requires_open311",
                       "Open311 reports are filed through the Open311 endpoint.",
                       {"channel": payload.channel})
    if payload.channel in ("whatsapp", "sms") and not from_connector:
        raise ApiError(403, "channel_requires_connector",
                       "Reports of this channel are filed by its connector only.",
                       {"channel": payload.channel})
    if payload.external_id is not None and not from_connector:
        raise ApiError(422, "external_id_not_allowed",
                       "Only a connector of the platform gives an external id.",
                       {"field": "external_id"})
    if payload.media_fetch_failed is not None and payload.channel != "open311":
        raise ApiError(422, "media_fetch_failed_not_allowed",
                       "Only the Open311 endpoint tells why its media_url gave no photo.",
                       {"channel": payload.channel})
    if payload.channel not in RESIDENT_CHANNELS and not from_connector:
        if principal is None or principal.role not in STAFF_FILING_ROLES:
            raise ApiError(403, "channel_requires_staff",
                           "Only city staff may file reports from this channel.",
                           {"channel": payload.channel})
        filed_by = principal.user_id
    city = payload.city or settings.default_city
    if city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
    if principal is not None and principal.city != city:
        raise ApiError(403, "other_city", "Staff may only file reports of their own city.")
    category = context.categories.get(city, payload.category)
    if category is None:
        raise ApiError(422, "unknown_category", "No such category in this city.",
                       {"category": payload.category})
    location = payload.location.model_dump() if payload.location else None
    report_types.check_location(category, payload.type, payload.channel, location)
    # Photos sent beforehand in chunks (services/intake/resumable.py) count as photos too.
    photos = uploads.photos(settings, required=not payload.uploads and report_types.
                            photo_required(category, payload.type, payload.channel),
                            limit=uploads.MAX_PHOTOS - len(payload.uploads))
    uploaded = resumable.UploadedPhotos(settings, context.db, context.store, payload.uploads) \
        if payload.uploads else None
    accepted = context.intake.submit(payload, photos, key, current_request_id(), filed_by,
                                     uploaded)
    context.intake.announce_later(accepted)  # stored with its event: no need to wait for it
    return jsonify(accepted.receipt), 202


@blueprint.get("/reports")
def list_public_reports() -> Response:
    query = validate(PublicListQuery, dict(request.args.items()))
    city = query.city or _context().settings.default_city
    if city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
    conditions = public_filter(query, city, _city_zone(city))
    rows, total = _page(conditions, query.sort, query.page, query.page_size,
                        full=query.detail == "full", count=query.with_total)
    if query.format == "geojson":
        return jsonify(as_geojson(rows) | {"total": total, "page": query.page})
    return jsonify({"items": rows, "total": total, "page": query.page,
                    "page_size": query.page_size})


@blueprint.get("/reports/<code>")
def get_report(code: str) -> Response:
    context = _context()
    found = find_for_request(context.db, context.settings, code, ("reporter", "public"))
    return jsonify(report_view(found.report, context.settings.public_base_url,
                               as_reporter=found.audience == "reporter"))


@blueprint.post("/reports/<code>/comments")
def add_comment(code: str) -> tuple[Response, int]:
    context, settings = _context(), _context().settings
    found = find_for_request(context.db, settings, code)
    principal = current_principal()
    if found.is_reporter:
        author, author_id = "reporter", None
    elif found.audience == "staff" and principal is not None \
            and principal.role in COMMENTING_ROLES:
        author, author_id = principal.role, principal.user_id
    else:  # the report is public, or the caller staff who may read but not comment
        raise ApiError(403, "not_allowed",
                       "Only the reporter (with their token) or staff handling the report "
                       "may comment.")
    if request.mimetype.startswith("multipart/form-data"):
        body = validate(CommentIn, uploads.json_part("comment"))
        photos = read_uploaded_renditions(max_bytes=settings.max_photo_bytes,
                                          max_pixels=settings.max_image_pixels, limit=1,
                                          required=False)
    else:
        if not request.is_json:
            raise ApiError(415, "unsupported_media_type", "Send JSON or multipart.")
        body = validate(CommentIn, parse_json_object(request.get_data(), "The body"))
        photos = []
    agency = principal.agency if author != "reporter" and principal is not None \
        and principal.is_agency else None
    comment = comments.add_comment(settings, context.db, context.store, found.report, author,
                                   author_id, body.text, photos[0] if photos else None, agency,
                                   context.intake.reports.publisher)
    return jsonify({"id": comment["id"], "at": comment["at"].isoformat()}), 201


@blueprint.get("/staff/reports")
@require_roles(*ROLES)
def list_staff_reports() -> Response:
    principal = authorised_principal()
    query = validate(StaffListQuery, dict(request.args.items()))
    conditions = staff_filter(query, principal, _city_zone(principal.city), datetime.now(UTC))
    rows, total = _page(conditions, query.sort, query.page, query.page_size)
    return jsonify({"items": rows, "total": total, "page": query.page,
                    "page_size": query.page_size})


@blueprint.get("/staff/reports/<code>")
@require_roles(*ROLES)
def get_staff_report(code: str) -> Response:
    context, principal = _context(), authorised_principal()
    report = staff_report(context.db, code, principal)
    linked = [entry["report_id"] for entry in report.get("possible_duplicates") or []]
    statuses = {doc["_id"]: doc["status"] for doc in context.db.reports.find(
        {"_id": {"$in": linked}}, {"status": 1})} if linked and not principal.is_agency else {}
    return jsonify(staff_view(report, context.settings.public_base_url, principal, statuses))
