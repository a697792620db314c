"""Field officers (petugas lapangan) at routing: the officers an agency admin may dispatch a
report to (active `officer` users of the same city and agency, read from the users the
gateway keeps), the planners of `dispatch` and `visit`, an officer's part in the agencies'
other actions (only the officers a report is dispatched to act on it; a resolution records
the officer's time and its evidence photos' checks), an officer's tasks (`GET /tasks`) and
the agency's officers for the dispatch form (`GET /agencies/<code>/officers`). What each
action does is the lifecycle's
(`aduan.domain.lifecycle`, section "field officers")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify
from pymongo.database import Database

from aduan.domain import lifecycle
from aduan.domain.errors import Invalid
from aduan.domain.lifecycle import ACTIONS, AGENCY, Actor, Deadlines, Plan
from aduan.domain.photo_checks import EvidenceLimits, evidence_reasons
from aduan.domain.report_types import point_of, type_of
from aduan.infra.config import Settings
from aduan.infra.reports import Planner
from aduan.web import photo_urls
from aduan.web.app import collaborators
from aduan.web.auth import AGENCY_ROLES, OFFICER, ROLES
from aduan.web.errors import ApiError
from services.routing.access import signed_in
from services.routing.evidence import Evidence

TASKS_LIMIT = 100


def _active_officers(db: Database, city: str, agency: str, ids: list[str] | None = None
                     ) -> list[dict[str, Any]]:
    conditions: dict[str, Any] = {"city": city, "agency": agency, "role": OFFICER,
                                  "disabled": {"$ne": True}}
    if ids is not None:
        conditions["_id"] = {"$in": ids}
    return list(db.users.find(conditions, {"_id": 1, "username": 1, "name": 1})
                .sort("username", 1).limit(500))


def named_officers(db: Database, city: str, agency: str, ids: list[str]
                   ) -> list[dict[str, Any]]:
    """The users `ids`, each an active officer of `agency` in `city`, in the order named;
    422 `unknown_officer` names the others (unknown, disabled, another role, city or agency:
    one answer, so it tells nothing about users elsewhere)."""
    found = {u["_id"]: u for u in _active_officers(db, city, agency, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid("unknown_officer", "Not an active officer of your agency.",
                      {"officers": missing})
    return [found[i] for i in ids]


def officer_planner(db: Database, deadlines: Deadlines, report: dict[str, Any], action: str,
                    actor: Actor, note: str | None, officers: tuple[str, ...],
                    category: dict[str, Any] | None, photos: list[dict[str, Any]] | None,
                    public_response: str | None) -> Planner:
    """The planner of `dispatch` or `visit` (`lifecycle.OFFICER_ACTIONS`)."""
    if action == "dispatch":  # DispatchIn names one officer at least
        named = named_officers(db, report["city"], actor.agency or "", list(officers))
        return lambda current, now: lifecycle.plan_dispatch(
            current, now, actor, named, note, deadlines=deadlines, category=category,
            public_response=public_response)
    return lambda current, now: lifecycle.plan_visit(
        current, now, actor, note, deadlines=deadlines, category=category, photos=photos,
        public_response=public_response)


def on_duty(planner: Planner, action: str, actor: Actor, reasons: list[str]) -> Planner:
    """An agency's action (accept, start, resolve, hand back) as its staff take it with field
    officers: refused to an officer of the agency the report is not dispatched to; a
    resolution records its resolver's part and its evidence `reasons` (`officer_resolution`)."""
    if action not in ACTIONS or ACTIONS[action].by != AGENCY \
            or action in lifecycle.OFFICER_ACTIONS:
        return planner

    def planned(current: dict[str, Any], now: datetime) -> Plan:
        lifecycle.check_officer(current, actor)
        plan = planner(current, now)
        if action == "resolve":
            plan = lifecycle.officer_resolution(plan, actor, now, reasons)
        return plan

    return planned


def evidence_limits(settings: Settings) -> EvidenceLimits:
    return EvidenceLimits(
        max_distance_m=settings.evidence_max_distance_m,
        max_age=timedelta(hours=settings.evidence_max_age_hours),
        future_tolerance=timedelta(minutes=settings.photo_future_tolerance_minutes))


def evidence_check(settings: Settings, report: dict[str, Any], evidence: list[Evidence],
                   now: datetime) -> list[str]:
    """Why the evidence photos do not show the report's place freshly photographed (the
    reports' photo checks, `aduan.domain.photo_checks`): every photo must pass; the reasons
    of those that fail, each once."""
    place = point_of(report)
    limits = evidence_limits(settings)
    reasons: list[str] = []
    for photo in evidence:
        for reason in evidence_reasons(photo.metadata, now, place, limits):
            if reason not in reasons:
                reasons.append(reason)
    return reasons


blueprint = Blueprint("officers", __name__)


@blueprint.get("/agencies/<code>/officers")
def agency_officers(code: str) -> Response:
    """The agency's active officers, for its admin's dispatch form (and the city's staff);
    404 `agency_not_found` as `GET /agencies/<code>` answers, staff of another agency are
    refused (403 `not_your_agency`)."""
    principal = signed_in(*ROLES)
    db = collaborators().db
    if db.agencies.find_one({"city": principal.city, "code": code}, {"_id": 1}) is None:
        raise ApiError(404, "agency_not_found", "No agency of this city has this code.")
    if principal.role in AGENCY_ROLES and principal.agency != code:
        raise ApiError(403, "not_your_agency", "Only your own agency's officers.",
                       {"agency": code})
    return jsonify({"agency": code, "officers": [
        {"id": u["_id"], "name": u.get("name") or u.get("username"),
         "username": u.get("username")}
        for u in _active_officers(db, principal.city, code)]})


def _shown(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in entry.items()}


def _task(report: dict[str, Any], actor: Actor, base_url: str) -> dict[str, Any]:
    mine = lifecycle.own_assignment(report, actor.agency)
    assert mine is not None  # officer_tasks_filter: the agency holds it
    return {
        "code": report["code"], "category": report["category"],
        "type": type_of(report),  # an information request is resolved by its answer
        "description": report["description"], "status": report["status"],
        "location": report["location"], "kecamatan": report.get("kecamatan"),
        "assignment_status": mine["status"],
        "officer": _shown(lifecycle.officer_entry(mine, actor.id)),
        "photos": [photo_urls.report_photo(base_url, report["code"], number)
                   for number, photo in enumerate(report.get("photos", []), start=1)
                   if photo.get("public_key")],
        "actions": lifecycle.action_forms(lifecycle.allowed_actions(report, actor)),
        "created_at": report["created_at"].isoformat(),
        "updated_at": report["updated_at"].isoformat(),
    }


@blueprint.get("/tasks")
def my_tasks() -> Response:
    """An officer's tasks: the reports its agency holds and dispatched to it, most recently
    changed first, each with what the officer may do now."""
    principal = signed_in(OFFICER)
    routing = collaborators()
    actor = Actor(kind="staff", id=principal.user_id, role=principal.role,
                  agency=principal.agency)
    reports = routing.db.reports.find(
        {"city": principal.city, **lifecycle.officer_tasks_filter(principal.agency or "",
                                                                   principal.user_id)},
        {"history": 0, "outbox": 0, "comments": 0}).sort("updated_at", -1).limit(TASKS_LIMIT)
    return jsonify({"items": [_task(r, actor, routing.settings.public_base_url)
                              for r in reports]})
