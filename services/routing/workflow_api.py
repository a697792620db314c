"""The workflow over HTTP: `POST /reports/<code>/actions/<action>` for operators, agencies and
reporters, the workflow view of a report (with the actions the caller may take now), the
operators' triage queue and an agency's inbox. What an action does and when it is refused is
the lifecycle's (`aduan.domain.lifecycle`); its refusals reach the client through the one
mapping of domain errors (`aduan.web.app`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from aduan.contracts.actions import MODELS
from aduan.domain import lifecycle, report_types
from aduan.domain.errors import DomainError
from aduan.domain.lifecycle import ACTIONS, Actor, is_overdue, own_assignment
from aduan.domain.stages import stages
from aduan.domain.visibility import staff_conditions
from aduan.infra import metrics
from aduan.infra.catalogue import cities
from aduan.infra.stage_views import city_stage_view
from aduan.web.app import collaborators, current_request_id
from aduan.web.auth import ACTING_AGENCY_ROLES, LEADER, OPERATOR, ROLES, SYSADMIN, Principal
from aduan.web.errors import ApiError, from_domain
from aduan.web.validation import parse_json_object, validate
from services.routing.access import reporter_report, signed_in, staff_report
from services.routing.actions import Request
from services.routing.evidence import read_evidence
from services.routing.views import workflow_view

# Waiting for an operator: what they may still forward.
QUEUE_STATUSES = tuple(sorted(ACTIONS["forward"].starts))
LIST_LIMIT = 200
REPORTER = Actor(kind="reporter", id=None, role="reporter")

blueprint = Blueprint("workflow", __name__)


def staff_actor(principal: Principal) -> Actor:
    return Actor(kind="staff", id=principal.user_id, role=principal.role,
                 agency=principal.agency)


def read_body() -> dict[str, Any]:
    """The action's fields: a JSON body, or with photos a multipart field `data` holding JSON."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("data")
        return parse_json_object(raw, "The 'data' field") if raw else {}
    raw_body = request.get_data(cache=True)
    if not raw_body.strip():
        return {}
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "Send the action as application/json (multipart/form-data with photos).")
    return parse_json_object(raw_body, "The request body")


@blueprint.post("/reports/<code>/actions/<action>")
def act(code: str, action: str) -> Response:
    try:
        response = _act(code, action)
    except (ApiError, DomainError) as err:
        if action in MODELS:
            status = err.status if isinstance(err, ApiError) else from_domain(err).status
            metrics.workflow_actions.labels(action, f"refused_{status}").inc()
        raise
    metrics.workflow_actions.labels(action, "done").inc()
    return response


def _act(code: str, action: str) -> Response:
    routing = collaborators()
    if action not in MODELS:
        raise ApiError(404, "unknown_action", "There is no such action.",
                       {"actions": sorted(MODELS)})
    by = ACTIONS[action].by  # who may take it: the lifecycle's action table
    if by == lifecycle.REPORTER:
        report = reporter_report(routing.db, routing.settings, code)
        actor = REPORTER
    else:
        columns = {lifecycle.OPERATOR: (OPERATOR,),
                   lifecycle.STAFF: (OPERATOR, *ACTING_AGENCY_ROLES)}
        principal = signed_in(*columns.get(by, ACTING_AGENCY_ROLES))
        report = staff_report(routing.db, code, principal)
        actor = staff_actor(principal)
        if not lifecycle.may_take(action, actor):  # the action names fewer roles
            raise ApiError(403, "not_your_action", "Your role may not take this action.",
                           {"action": action, "role": principal.role})
    payload = validate(MODELS[action], read_body())
    if action == "rate":
        rating = routing.workflow.rate(report, actor, payload.score, payload.comment,
                                       current_request_id())
        return jsonify({"code": report["code"], "rating": {
            **rating, "at": rating["at"].isoformat()}})
    evidence = []
    if "store_evidence" in ACTIONS[action].effects:
        evidence = read_evidence(routing.settings, cities()[report["city"]]["timezone"])
        # A complaint's repair is shown; an answer or a considered suggestion is not.
        if not evidence and action not in lifecycle.PHOTOS_OPTIONAL \
                and report_types.needs_evidence(report):
            raise ApiError(422, "evidence_required",
                           "Resolving needs at least one evidence photo (multipart field "
                           "'photo').", {"field": "photo"})
    sent = Request(note=getattr(payload, "note", None),
                   public_response=getattr(payload, "public_response", None),
                   agencies=tuple(getattr(payload, "agencies", ())),
                   of=getattr(payload, "of", None), until=getattr(payload, "until", None),
                   agency=getattr(payload, "agency", None),
                   officers=tuple(getattr(payload, "officers", ())),
                   point=(payload.point.lat, payload.point.lon)
                   if getattr(payload, "point", None) else None)
    updated = routing.workflow.act(report, action, actor, sent, evidence, current_request_id())
    return jsonify(workflow_view(updated, routing.settings.public_base_url, actor))


@blueprint.get("/reports/<code>/workflow")
def workflow_of(code: str) -> Response:
    routing = collaborators()
    if request.headers.get("Authorization"):
        principal = signed_in(*ROLES)
        report = staff_report(routing.db, code, principal)
        actor = staff_actor(principal)
    else:
        report = reporter_report(routing.db, routing.settings, code)
        actor = REPORTER
    return jsonify(workflow_view(report, routing.settings.public_base_url, actor))


@blueprint.get("/queue")
def triage_queue() -> Response:
    principal = signed_in(OPERATOR, LEADER, SYSADMIN)
    now = datetime.now(UTC)
    reports = collaborators().db.reports.find(
        {**staff_conditions(principal), "status": {"$in": list(QUEUE_STATUSES)}},
        {"code": 1, "status": 1, "category": 1, "created_at": 1, "forward_due_at": 1,
         "triage": 1, "triage_reason": 1, "kecamatan": 1, "postponed_until": 1, "type": 1,
         "no_photo": 1},
    ).sort("created_at", 1).limit(LIST_LIMIT)
    return jsonify({"reports": [
        {"code": r["code"], "status": r["status"], "category": r["category"],
         "type": report_types.type_of(r), "no_photo": bool(r.get("no_photo")),
         "triage": bool(r.get("triage")), "triage_reason": r.get("triage_reason"),
         "kecamatan": r.get("kecamatan"), "created_at": r["created_at"].isoformat(),
         "forward_due_at": r["forward_due_at"].isoformat()
         if r.get("forward_due_at") else None, "overdue": is_overdue(r, now),
         "postponed_until": r["postponed_until"].isoformat()
         if r.get("postponed_until") else None}
        for r in reports]})


@blueprint.get("/inbox")
def agency_inbox() -> Response:
    # The reports the agency works on now; its head reads them (and those it held) in the
    # staff lists instead.
    principal = signed_in(*ACTING_AGENCY_ROLES)
    if not principal.agency:
        raise ApiError(403, "not_assigned", "Your account belongs to no agency.")
    reports = collaborators().db.reports.find(staff_conditions(principal)
                                              ).sort("created_at", -1).limit(LIST_LIMIT)
    items = []
    now = datetime.now(UTC)
    for report in reports:
        mine = own_assignment(report, principal.agency)
        assert mine is not None  # staff_conditions: the agency holds every report listed
        view = city_stage_view(report["city"])
        items.append({
            "code": report["code"], "status": report["status"], "stages": stages(report, view),
            "category": report["category"], "assignment_status": mine["status"],
            # The agency's own progress, in the stages its city uses.
            "stage": view.stage_for_agency(report, principal.agency),
            "due_at": mine["due_at"].isoformat() if mine.get("due_at") else None,
            "resolution_due_at": mine["resolution_due_at"].isoformat()
            if mine.get("resolution_due_at") else None,
            "overdue": is_overdue(report, now, principal.agency),
            # Field officers: who has it, and a resolution whose evidence needs checking.
            "officers": [o["name"] for o in lifecycle.active_officers(mine)],
            "evidence_flagged": bool(mine.get("evidence_flag")),
            "created_at": report["created_at"].isoformat(),
        })
    return jsonify({"agency": principal.agency, "reports": items})
