"""Intake HTTP service: accepts reports, serves them back, lists them for the public and staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, jsonify, request

from aduan.contracts.queries import PublicListQuery, StaffListQuery
from aduan.contracts.reports import CommentIn, ReportIn
from aduan.domain.codes import normalise, well_formed
from aduan.domain.lifecycle import agency_holds
from aduan.domain.visibility import NOT_FOUND_MESSAGE, is_public
from aduan.infra.catalogue import CategoryCache, cities, ensure_seeded
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db, ping
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.messaging import Publisher
from aduan.infra.storage import ObjectStore
from aduan.infra.tokens import token_matches
from aduan.web.app import create_app as create_service_app
from aduan.web.app import current_request_id
from aduan.web.auth import ROLES, Principal, current_principal, require_roles
from aduan.web.errors import ApiError
from aduan.web.photos import read_uploaded_renditions
from aduan.web.validation import parse_json_object, validate
from services.intake import comments, photo_files, uploads
from services.intake.queries import public_filter, staff_filter
from services.intake.submission import Intake
from services.intake.views import as_geojson, report_view, staff_view, summary

REPORTER_TOKEN_HEADER = "X-Reporter-Token"
# Open311 GeoReport v2 clients submit for residents through the gateway.
RESIDENT_CHANNELS = ("app", "web", "open311")
STAFF_FILING_ROLES = ("operator", "sysadmin")


def _query_args(model):
    return validate(model, dict(request.args.items()))


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    store = ObjectStore(settings)
    intake = Intake(settings, db, store, Publisher(settings))
    categories = CategoryCache(db)

    def startup() -> None:
        ensure_indexes(db)
        ensure_seeded(db)
        store.ensure_buckets()

    app = create_service_app(
        "intake",
        settings,
        readiness={"mongo": lambda: ping(db), "s3": store.ping},
        startup=startup,
    )
    app.config["MAX_CONTENT_LENGTH"] = uploads.MAX_PHOTOS * settings.max_photo_bytes + 256 * 1024

    def city_zone(city: str) -> ZoneInfo:
        return ZoneInfo(cities()[city]["timezone"])

    def find_report(code: str) -> dict[str, Any]:
        report = lookup(code)
        if report is None:
            raise not_found()
        return report

    def lookup(code: str) -> dict[str, Any] | None:
        code = normalise(code)
        return db.reports.find_one({"code": code}) if well_formed(code) else None

    def not_found() -> ApiError:
        return ApiError(404, "report_not_found", NOT_FOUND_MESSAGE)

    def visible_report(code: str) -> tuple[dict[str, Any], bool]:
        """The report as the caller may see it, and whether the caller is its reporter. A
        report the public may not see is answered exactly as a missing one (the same read,
        the same token check, the same 404)."""
        report = lookup(code)
        as_reporter = is_reporter(report or {"_id": ""})
        if report is None or not (as_reporter or is_public(report)):
            raise not_found()
        return report, as_reporter

    def photo_viewer(code: str) -> tuple[dict[str, Any], photo_files.Audience]:
        """Who is asking for a report's photos: staff who may see it, its reporter, or anyone
        while it is public; the report's 404 otherwise."""
        report = lookup(code)
        as_reporter = is_reporter(report or {"_id": ""})
        principal = current_principal()
        if report is not None:
            if principal is not None and staff_may_see(report, principal):
                return report, "staff"
            if as_reporter:
                return report, "reporter"
            if is_public(report):
                return report, "public"
        raise not_found()

    photo_files.register(app, store, photo_viewer)

    def is_reporter(report: dict[str, Any]) -> bool:
        return token_matches(reporter_token_keys(settings), report["_id"],
                             request.headers.get(REPORTER_TOKEN_HEADER))

    def staff_may_see(report: dict[str, Any], principal: Principal) -> bool:
        if report["city"] != principal.city:
            return False
        if principal.is_agency:
            return agency_holds(report, principal.agency)
        return True

    @app.post("/reports")
    def submit_report():
        uploads.require_multipart()
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
            raise ApiError(400, "invalid_idempotency_key",
                           "Idempotency-Key must be 1 to 128 printable characters.")
        payload = validate(ReportIn, uploads.json_part("report"))
        principal = current_principal()
        filed_by = None
        if payload.channel not in RESIDENT_CHANNELS:
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
        if categories.get(city, payload.category) is None:
            raise ApiError(422, "unknown_category", "No such category in this city.",
                           {"category": payload.category})
        photos = uploads.photos(settings, required=True)
        accepted = intake.submit(payload, photos, key, current_request_id(), filed_by)
        intake.announce_later(accepted)  # stored with its event: no need to wait for it
        return jsonify(accepted.receipt), 202

    @app.get("/reports")
    def list_public_reports():
        query = _query_args(PublicListQuery)
        city = query.city or settings.default_city
        if city not in cities():
            raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
        conditions = public_filter(query, city, city_zone(city))
        rows, total = _page(conditions, query.sort, query.page, query.page_size)
        if query.format == "geojson":
            return jsonify(as_geojson(rows) | {"total": total, "page": query.page})
        return jsonify({"items": rows, "total": total, "page": query.page,
                        "page_size": query.page_size})

    def _page(conditions: dict, sort: str, page: int, page_size: int
              ) -> tuple[list[dict], int]:
        field, direction = sort.lstrip("-"), (-1 if sort.startswith("-") else 1)
        cursor = (db.reports.find(conditions, {"history": 0, "outbox": 0})
                  .sort([(field, direction), ("_id", direction)])
                  .skip((page - 1) * page_size).limit(page_size))
        return [summary(r) for r in cursor], db.reports.count_documents(conditions)

    @app.get("/reports/<code>")
    def get_report(code: str):
        report, as_reporter = visible_report(code)
        return jsonify(report_view(report, settings.public_base_url, as_reporter=as_reporter))

    @app.post("/reports/<code>/comments")
    def add_comment(code: str):
        report = lookup(code)
        principal = current_principal()
        if report is not None and is_reporter(report):
            author, author_id = "reporter", None
        elif report is not None and principal is not None and \
                staff_may_see(report, principal) and \
                principal.role in ("operator", "agency_admin", "officer"):
            author, author_id = principal.role, principal.user_id
        elif report is None or not is_public(report):
            raise not_found()
        else:
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
        comment = comments.add_comment(settings, db, store, report, author, author_id,
                                       body.text, photos[0] if photos else None)
        return jsonify({"id": comment["id"], "at": comment["at"].isoformat()}), 201

    @app.get("/staff/reports")
    @require_roles(*ROLES)
    def list_staff_reports():
        principal = current_principal()
        assert principal is not None
        query = _query_args(StaffListQuery)
        conditions = staff_filter(query, principal, city_zone(principal.city), datetime.now(UTC))
        rows, total = _page(conditions, query.sort, query.page, query.page_size)
        return jsonify({"items": rows, "total": total, "page": query.page,
                        "page_size": query.page_size})

    @app.get("/staff/reports/<code>")
    @require_roles(*ROLES)
    def get_staff_report(code: str):
        principal = current_principal()
        assert principal is not None
        report = find_report(code)
        if not staff_may_see(report, principal):
            raise ApiError(404, "report_not_found", "No report has this tracking code.")
        return jsonify(staff_view(report, settings.public_base_url, principal))

    return app
