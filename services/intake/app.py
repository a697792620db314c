"""Intake HTTP service: accepts reports and serves them back by tracking code."""

from __future__ import annotations

from flask import Flask, jsonify, request

from aduan.catalogue import CategoryCache, cities, ensure_seeded
from aduan.config import Settings
from aduan.db import ensure_indexes, get_db, ping
from aduan.errors import ApiError
from aduan.messaging import Publisher
from aduan.photos import sniff_image_type
from aduan.storage import ObjectStore
from aduan.tokens import token_matches
from aduan.validation import parse_json_object, validate
from aduan.web import create_app as create_service_app
from aduan.web import current_request_id
from services.intake.schemas import ReportIn
from services.intake.submission import Intake, Photo
from services.intake.views import report_view, visible_publicly

MAX_PHOTOS = 5
REPORTER_TOKEN_HEADER = "X-Reporter-Token"


def _read_photos(settings: Settings) -> list[Photo]:
    uploads = request.files.getlist("photo")
    if not uploads:
        raise ApiError(400, "missing_field", "A photo is required (multipart field 'photo').",
                       {"field": "photo"})
    if len(uploads) > MAX_PHOTOS:
        raise ApiError(400, "too_many_photos", f"At most {MAX_PHOTOS} photos per report.")
    photos = []
    for upload in uploads:
        data = upload.read(settings.max_photo_bytes + 1)
        if len(data) > settings.max_photo_bytes:
            raise ApiError(413, "photo_too_large",
                           f"Each photo may be at most {settings.max_photo_bytes} bytes.")
        content_type = sniff_image_type(data)
        if content_type is None:
            raise ApiError(415, "unsupported_photo_type",
                           "Photos must be JPEG, PNG or HEIC images.",
                           {"filename": (upload.filename or "")[:100]})
        photos.append(Photo(data=data, content_type=content_type))
    return photos


def _read_report() -> ReportIn:
    raw = request.form.get("report")
    if raw is None:
        raise ApiError(400, "missing_field",
                       "The report fields are required as JSON (multipart field 'report').",
                       {"field": "report"})
    payload = validate(ReportIn, parse_json_object(raw, "The 'report' field"))
    return payload


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    store = ObjectStore(settings)
    publisher = Publisher(settings)
    intake = Intake(settings, db, store, publisher)
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
    app.config["MAX_CONTENT_LENGTH"] = MAX_PHOTOS * settings.max_photo_bytes + 256 * 1024

    @app.post("/reports")
    def submit_report():
        if not request.mimetype.startswith("multipart/form-data"):
            raise ApiError(415, "unsupported_media_type",
                           "Send the report as multipart/form-data.")
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
            raise ApiError(400, "invalid_idempotency_key",
                           "Idempotency-Key must be 1 to 128 printable characters.")
        payload = _read_report()
        city = payload.city or settings.default_city
        if city not in cities():
            raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
        if categories.get(city, payload.category) is None:
            raise ApiError(422, "unknown_category", "No such category in this city.",
                           {"category": payload.category})
        photos = _read_photos(settings)
        return jsonify(intake.submit(payload, photos, key, current_request_id())), 202

    @app.get("/reports/<code>")
    def get_report(code: str):
        report = db.reports.find_one({"code": code}) if len(code) <= 40 else None
        if report is None:
            raise ApiError(404, "report_not_found", "No report has this tracking code.")
        as_reporter = token_matches(
            settings.token_secret, report["_id"], request.headers.get(REPORTER_TOKEN_HEADER)
        )
        if not as_reporter and not visible_publicly(report):
            raise ApiError(404, "report_not_found", "No report has this tracking code.")
        return jsonify(report_view(report, store, as_reporter=as_reporter))

    return app
