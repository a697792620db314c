"""The workflow over HTTP: `POST /reports/<code>/actions/<action>` for operators, agencies and
reporters, the workflow view of a report, the operators' triage queue and an agency's inbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from pymongo.database import Database

from aduan.contracts.actions import MODELS, OPERATOR_ACTIONS, REPORTER_ACTIONS
from aduan.domain.lifecycle import INACTIVE_ASSIGNMENTS, Actor, agency_holds_filter
from aduan.domain.stages import kiniko_stage_for_agency, stages
from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.storage import ObjectStore
from aduan.web.app import current_request_id
from aduan.web.auth import AGENCY_ROLES, LEADER, OPERATOR, ROLES, SYSADMIN, Principal
from aduan.web.errors import ApiError
from aduan.web.validation import parse_json_object, validate
from services.routing.access import reporter_report, signed_in, staff_report
from services.routing.actions import Plan, Planner, Workflow
from services.routing.evidence import (
    delete_evidence,
    evidence_keys,
    read_evidence,
    store_evidence,
)
from services.routing.views import workflow_view

QUEUE_STATUSES = ("needs_review", "verified", "postponed")
LIST_LIMIT = 200


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


def _answering(planner: Planner, public_response: str | None) -> Planner:
    """The staff's public response goes into the history entry beside the internal note."""
    if not public_response:
        return planner

    def answered(report: dict[str, Any], now: datetime) -> Plan:
        plan = planner(report, now)
        return replace(plan, details={**plan.details, "public_response": public_response})

    return answered


def _planner(workflow: Workflow, action: str, payload: Any, principal: Principal | None,
             photos: list[dict[str, Any]]) -> Planner:
    return _answering(_action_planner(workflow, action, payload, principal, photos),
                      getattr(payload, "public_response", None))


def _action_planner(workflow: Workflow, action: str, payload: Any, principal: Principal | None,
                    photos: list[dict[str, Any]]) -> Planner:
    note = getattr(payload, "note", None)
    simple = {
        "verify": workflow.plan_verify, "reject": workflow.plan_reject,
        "postpone": workflow.plan_postpone,
        "archive": workflow.plan_archive, "confirm": workflow.plan_confirm,
        "reopen": workflow.plan_reopen,
    }
    if action in simple:
        return lambda report, now: simple[action](report, now, note)
    if action == "forward":
        return lambda report, now: workflow.plan_forward(report, now, payload.agencies, note)
    if action == "reroute":
        return lambda report, now: workflow.plan_reroute(report, now, payload.agencies, note)
    if action == "duplicate":
        return lambda report, now: workflow.plan_duplicate(report, now, payload.of, note)
    agency = principal.agency if principal else None
    if not agency:
        raise ApiError(403, "not_assigned", "Your account belongs to no agency.")
    return lambda report, now: workflow.plan_agency(report, now, action, agency, note, photos)


def register(app: Flask, settings: Settings, db: Database, store: ObjectStore,
             workflow: Workflow) -> None:

    @app.post("/reports/<code>/actions/<action>")
    def act(code: str, action: str):
        try:
            response = _act(code, action)
        except ApiError as err:
            if action in MODELS:
                metrics.workflow_actions.labels(action, f"refused_{err.status}").inc()
            raise
        metrics.workflow_actions.labels(action, "done").inc()
        return response

    def _act(code: str, action: str):
        if action not in MODELS:
            raise ApiError(404, "unknown_action", "There is no such action.",
                           {"actions": sorted(MODELS)})
        principal: Principal | None = None
        if action in REPORTER_ACTIONS:
            report = reporter_report(db, settings, code)
            actor = Actor(kind="reporter", id=None, role="reporter")
        else:
            principal = signed_in(*((OPERATOR,) if action in OPERATOR_ACTIONS else AGENCY_ROLES))
            report = staff_report(db, code, principal)
            actor = Actor(kind="staff", id=principal.user_id, role=principal.role,
                          agency=principal.agency)
        payload = validate(MODELS[action], read_body())
        if action == "rate":
            rating = workflow.rate(report, payload.score, payload.comment, datetime.now(UTC))
            return jsonify({"code": report["code"], "rating": {
                **rating, "at": rating["at"].isoformat()}})
        evidence = read_evidence(settings) if action == "resolve" else []
        if action == "resolve" and not evidence:
            raise ApiError(422, "evidence_required",
                           "Resolving needs at least one evidence photo (multipart field "
                           "'photo').", {"field": "photo"})
        photos = [evidence_keys(report["city"], report["_id"], e.id) for e in evidence]
        planner = _planner(workflow, action, payload, principal, photos)
        planner(report, datetime.now(UTC))  # refused here, nothing is stored
        stored = store_evidence(store, report["city"], report["_id"], evidence)
        try:
            updated = workflow.perform(report["_id"], planner, actor, current_request_id())
        except Exception:
            delete_evidence(store, stored)
            raise
        return jsonify(workflow_view(updated, settings.public_base_url,
                                     staff=actor.kind == "staff"))

    @app.get("/reports/<code>/workflow")
    def workflow_of(code: str):
        if request.headers.get("Authorization"):
            principal = signed_in(*ROLES)
            report = staff_report(db, code, principal)
            return jsonify(workflow_view(report, settings.public_base_url, staff=True))
        report = reporter_report(db, settings, code)
        return jsonify(workflow_view(report, settings.public_base_url, staff=False))

    @app.get("/queue")
    def triage_queue():
        principal = signed_in(OPERATOR, LEADER, SYSADMIN)
        reports = db.reports.find(
            {"city": principal.city, "status": {"$in": list(QUEUE_STATUSES)}},
            {"code": 1, "status": 1, "category": 1, "created_at": 1, "forward_due_at": 1,
             "triage": 1, "triage_reason": 1, "kecamatan": 1},
        ).sort("created_at", 1).limit(LIST_LIMIT)
        return jsonify({"reports": [
            {"code": r["code"], "status": r["status"], "category": r["category"],
             "triage": bool(r.get("triage")), "triage_reason": r.get("triage_reason"),
             "kecamatan": r.get("kecamatan"), "created_at": r["created_at"].isoformat(),
             "forward_due_at": r["forward_due_at"].isoformat()
             if r.get("forward_due_at") else None}
            for r in reports]})

    @app.get("/inbox")
    def agency_inbox():
        principal = signed_in(*AGENCY_ROLES)
        if not principal.agency:
            raise ApiError(403, "not_assigned", "Your account belongs to no agency.")
        reports = db.reports.find(
            {"city": principal.city, **agency_holds_filter(principal.agency)},
        ).sort("created_at", -1).limit(LIST_LIMIT)
        items = []
        for report in reports:
            mine = [a for a in report["agencies"] if a["code"] == principal.agency
                    and a["status"] not in INACTIVE_ASSIGNMENTS][-1]
            items.append({
                "code": report["code"], "status": report["status"], "stages": stages(report),
                "category": report["category"], "assignment_status": mine["status"],
                "stage": kiniko_stage_for_agency(report, principal.agency),
                "due_at": mine["due_at"].isoformat() if mine.get("due_at") else None,
                "created_at": report["created_at"].isoformat(),
            })
        return jsonify({"agency": principal.agency, "reports": items})
