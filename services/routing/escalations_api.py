"""The escalations inbox: `GET /escalations`, the reports operators and agency admins escalated
(`escalate`) by hand, newest first. The head of an agency reads its agency's; leaders and
operators the whole city's."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from aduan.web.app import collaborators
from aduan.web.auth import AGENCY_HEAD, LEADER, OPERATOR
from aduan.web.scope import agency_scope
from services.routing.access import signed_in

LIST_LIMIT = 200

blueprint = Blueprint("escalations", __name__)


def escalation_rows(reports: list[dict[str, Any]], agency: str | None
                    ) -> list[dict[str, Any]]:
    """One row per escalation (of `agency` only, when given), newest first."""
    rows = []
    for report in reports:
        names = {a["code"]: a.get("name") for a in report.get("agencies") or []}
        for escalation in report.get("escalations") or []:
            if agency is not None and escalation["agency"] != agency:
                continue
            rows.append({
                "code": report["code"], "status": report["status"],
                "category": report["category"], "agency": escalation["agency"],
                "agency_name": names.get(escalation["agency"]), "note": escalation["note"],
                "by": escalation["by"], "at": escalation["at"].isoformat(),
            })
    rows.sort(key=lambda row: row["at"], reverse=True)
    return rows[:LIST_LIMIT]


@blueprint.get("/escalations")
def escalations() -> Response:
    principal = signed_in(AGENCY_HEAD, LEADER, OPERATOR)
    conditions: dict[str, Any] = {"city": principal.city}
    agency = agency_scope(principal)
    if agency is not None:
        conditions["escalations.agency"] = agency
    else:
        conditions["escalations.0"] = {"$exists": True}
    reports = collaborators().db.reports.find(
        conditions, {"code": 1, "status": 1, "category": 1, "agencies.code": 1,
                     "agencies.name": 1, "escalations": 1},
    ).sort("escalations.at", -1).limit(LIST_LIMIT)
    return jsonify({"agency": agency, "escalations": escalation_rows(list(reports), agency)})
