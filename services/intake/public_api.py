"""What residents do beside filing and tracking: see the reports already filed near the place
they are reporting (same category, still open), follow one of them ("me too") to hear of its
public steps by email or SMS once they confirm with the link of the one message that asks
(double opt-in, aduan.domain.followers), and stop following it with the link their messages
carry (aduan.infra.follower_tokens)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from aduan.contracts.public import FollowerIn, NearbyQuery
from aduan.domain.contact_details import normalize_email, normalize_phone
from aduan.domain.errors import report_not_found
from aduan.domain.followers import (
    confirmable,
    confirmed_count,
    is_full,
    new_follower,
    plan_confirm,
    plan_follow,
    plan_unfollow,
    with_address,
)
from aduan.domain.lifecycle import Actor
from aduan.domain.nearby import RESIDENT_CANDIDATES, near_for_resident, resident_keys
from aduan.domain.stages import kiniko_stage
from aduan.domain.visibility import is_public
from aduan.infra.catalogue import cities
from aduan.infra.follower_tokens import FOLLOW, UNFOLLOW, follower_token_matches
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.places import reports_in_cells
from aduan.infra.reports import Reports
from aduan.web import photo_urls
from aduan.web.app import collaborators
from aduan.web.errors import ApiError, from_domain
from aduan.web.report_access import Caller, find_for_caller, lookup
from aduan.web.validation import parse_json_object, validate

blueprint = Blueprint("intake_public", __name__)
NEARBY_FIELDS = {"code": 1, "city": 1, "category": 1, "status": 1, "privacy": 1,
                 "created_at": 1, "location": 1, "description": 1, "agencies.code": 1,
                 "agencies.status": 1, "photos.public_key": 1, "followers.id": 1,
                 "followers.confirmed_at": 1}
ATTEMPTS = 5
SOMEONE = Actor(kind="public", id=None)


def _nearby_row(report: dict[str, Any], metres: float, base_url: str) -> dict[str, Any]:
    """What the public may see of a report near the resident: enough to recognise it."""
    photos = report.get("photos") or []
    thumbnail = photo_urls.report_photo(base_url, report["code"], 1)["thumbnail_url"] \
        if photos and photos[0].get("public_key") else None
    return {"code": report["code"], "category": report["category"],
            "status": report["status"], "stage": kiniko_stage(report),
            "description": report.get("description", "")[:280],
            "location": {"lat": report["location"]["lat"], "lon": report["location"]["lon"]},
            "distance_m": metres, "created_at": report["created_at"].isoformat(),
            "followers": confirmed_count(report), "thumbnail_url": thumbnail}


@blueprint.get("/reports/nearby")
def nearby_reports() -> Response:
    """The open public reports of the category near (lat, lon), nearest first."""
    context = collaborators()
    query = validate(NearbyQuery, dict(request.args.items()))
    city = query.city or context.settings.default_city
    if city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
    now = datetime.now(UTC)
    keys = resident_keys(query.category, query.lat, query.lon, now)
    candidates = reports_in_cells(context.db, city, keys, NEARBY_FIELDS, RESIDENT_CANDIDATES)
    found = near_for_resident(city, query.category, query.lat, query.lon, candidates, now)
    base_url = context.settings.public_base_url
    return jsonify({"items": [_nearby_row(report, metres, base_url)
                              for metres, report in found]})


@blueprint.post("/reports/<code>/followers")
def follow_report(code: str) -> tuple[Response, int]:
    """Anyone asks to follow a public report with an email address or a phone number: the
    address is sent one message whose link confirms (`report.follow_requested`, through the
    report's outbox); nothing more is sent to it until then. The answer is the same whether
    the address followed already, is pending or is new, and whether a message went out (at
    most one per RESEND_AFTER), so it tells no one who follows."""
    context = collaborators()
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON.")
    body = validate(FollowerIn, parse_json_object(request.get_data(), "The body"))
    # One address follows once, however it is written (mailboxes ignore case in practice).
    email = (normalize_email(body.email) or "").lower() or None if body.email else None
    phone = normalize_phone(body.phone) if body.phone else None
    if body.phone and phone is None:
        raise ApiError(422, "invalid_phone", "This is not a phone number.", {"field": "phone"})
    report = find_for_caller(context.db, code, Caller(), ("public",)).report
    now = datetime.now(UTC)
    follower = new_follower(uuid.uuid4().hex, email, phone, body.language, now)
    reports = Reports(context.db, context.intake.reports.publisher)
    # No history entry records who follows (only the report's `followers`).
    for _ in range(ATTEMPTS):
        if with_address(report, follower, now) is None and is_full(report, now):
            raise ApiError(422, "follower_limit",
                           "This report has as many followers as it takes.")
        plan = plan_follow(report, follower, now)
        if plan is None or reports.commit(report, plan, SOMEONE, now, None) is not None:
            break
        # Changed meanwhile (another follower, a status): look again.
        report = reports.get(report["_id"]) or {}
        if not is_public(report):
            raise from_domain(report_not_found())
    else:
        raise ApiError(409, "concurrent_update",
                       "Many people follow this report right now; retry.")
    return jsonify({"code": report["code"], "confirmation": "requested"}), 202


FOLLOW_TOKEN_HEADER = "X-Follow-Token"
UNFOLLOW_TOKEN_HEADER = "X-Unfollow-Token"


def _report_for_follower_link(code: str, follower_id: str, purpose: str, header: str
                              ) -> dict[str, Any]:
    """The report whose follower link (`purpose`) sent its token in `header`; a wrong token,
    follower or code is answered as a missing report."""
    context = collaborators()
    report = lookup(context.db, code)
    keys = reporter_token_keys(context.settings)
    if report is None or not follower_token_matches(keys, purpose, report["_id"], follower_id,
                                                    request.headers.get(header)):
        raise from_domain(report_not_found())
    return report


@blueprint.post("/reports/<code>/followers/<follower_id>/confirm")
def confirm_follower(code: str, follower_id: str) -> tuple[Response, int]:
    """The follower confirms with the token of the link in the one message sent to them (in a
    header: the link keeps it in its fragment). A wrong token, follower or code, or a request
    left unconfirmed too long, is answered as a missing report, and nothing changes; confirming
    twice is answered as once."""
    report = _report_for_follower_link(code, follower_id, FOLLOW, FOLLOW_TOKEN_HEADER)
    reports = Reports(collaborators().db, None)
    for _ in range(ATTEMPTS):
        now = datetime.now(UTC)
        if not confirmable(report, follower_id, now):
            raise from_domain(report_not_found())
        plan = plan_confirm(report, follower_id, now)
        if plan is None or reports.commit(report, plan, SOMEONE, now, None) is not None:
            return jsonify({"code": report["code"], "following": True}), 200
        report = reports.get(report["_id"]) or {}
    raise ApiError(409, "concurrent_update", "Many people follow this report right now; retry.")


@blueprint.delete("/reports/<code>/followers/<follower_id>")
def unfollow_report(code: str, follower_id: str) -> tuple[str, int]:
    """A follower stops following, with the token of the link in their messages (sent in a
    header: the link keeps it in its fragment). Whatever the report's status now. A wrong
    token, follower or code is answered as a missing report, and nothing changes."""
    report = _report_for_follower_link(code, follower_id, UNFOLLOW, UNFOLLOW_TOKEN_HEADER)
    reports = Reports(collaborators().db, None)
    for _ in range(ATTEMPTS):
        plan = plan_unfollow(report, follower_id)
        if plan is None:  # not (or no longer) following: the same answer, nothing to do
            return "", 204
        if reports.commit(report, plan, SOMEONE, datetime.now(UTC), None) is not None:
            return "", 204
        report = reports.get(report["_id"]) or {}
    raise ApiError(409, "concurrent_update", "Many people follow this report right now; retry.")
