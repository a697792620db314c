"""What staff and reporters see of a report's workflow, with the actions the caller may take
now (the console draws its buttons from them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aduan.domain.lifecycle import (
    ASSIGNMENT_TIMES,
    Actor,
    action_forms,
    allowed_actions,
    is_overdue,
)
from aduan.domain.stages import stages
from aduan.domain.visibility import shown_texts
from aduan.infra.stage_views import city_stage_view
from aduan.web import photo_urls
from aduan.web.auth import AGENCY_ROLES

# What anyone who may read the workflow (the reporter too) sees of an assignment: who holds
# the report, how far it is and its deadlines. An allow-list, so that a field added to the
# assignment stays inside until someone decides who reads it.
ASSIGNMENT_FIELDS = ("code", "name", "kind", "status", "forwarded_at", "withdrawn_at",
                     "reopened_at", "due_at", "responded_at", "resolution_due_at",
                     *ASSIGNMENT_TIMES.values())
# An agency's own business: its field officers (names, user ids) and their evidence checks.
INSIDE_FIELDS = ("officers", "evidence_flag")
# The history details that name officers or their evidence checks (lifecycle's dispatch,
# visit and officer resolution).
INSIDE_DETAILS = ("officers", "added", "removed", "officer", "evidence_reasons")


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def _photos(code: str, photos: list[dict[str, Any]], base_url: str) -> list[dict[str, str]]:
    return [{"id": p["id"], **photo_urls.evidence_photo(base_url, code, p["id"])}
            for p in photos]


def inside(reader: Actor, agency: str | None) -> bool:
    """Whether `reader` sees `agency`'s own business on a report (its officers, evidence flags,
    escalations): the agency's staff, and the city's staff outside agencies (operators,
    leaders, sysadmins); not another agency's staff, not the reporter nor the public."""
    if reader.kind != "staff":
        return False
    if reader.role in AGENCY_ROLES:
        return agency is not None and reader.agency == agency
    return True


def _assignment(report: dict[str, Any], assignment: dict[str, Any], reader: Actor,
                now: datetime) -> dict[str, Any]:
    shown = {k: assignment[k] for k in ASSIGNMENT_FIELDS if k in assignment}
    if inside(reader, assignment["code"]):
        shown.update({k: assignment[k] for k in INSIDE_FIELDS if k in assignment})
    return {**_iso(shown), "overdue": is_overdue(report, now, assignment["code"])}


def _history_entry(entry: dict[str, Any], code: str, base_url: str, reader: Actor
                   ) -> dict[str, Any]:
    staff = reader.kind == "staff"
    actor = entry.get("actor") or {}
    hidden = {"actor", "photos", "note"}
    if not inside(reader, entry.get("agency") or actor.get("agency")):
        hidden.update(INSIDE_DETAILS)
    shown = {k: v for k, v in entry.items() if k not in hidden}
    shown.update(shown_texts(entry, staff=staff, reporter=not staff))
    shown["by"] = {"kind": actor.get("kind"), "role": actor.get("role"),
                   "agency": actor.get("agency")}
    # Who took a step: staff read it, an agency's people only within that agency.
    if staff and (actor.get("agency") is None or inside(reader, actor["agency"])):
        shown["by"]["id"] = actor.get("id")
    if entry.get("photos"):
        shown["photos"] = _photos(code, entry["photos"], base_url)
    return _iso(shown)


def workflow_view(report: dict[str, Any], base_url: str, actor: Actor) -> dict[str, Any]:
    """`actor`: who asks (staff see internal notes, breaches and triage; a reporter does not;
    an agency's officers, evidence flags and escalations only its own staff and the city's,
    `inside`)."""
    staff = actor.kind == "staff"
    now = datetime.now(UTC)
    view = {
        "code": report["code"],
        "city": report["city"],
        "category": report["category"],
        "channel": report.get("channel"),
        "status": report["status"],
        "stages": stages(report, city_stage_view(report["city"])),
        "kecamatan": report.get("kecamatan"),
        "agencies": [_assignment(report, a, actor, now) for a in report.get("agencies", [])],
        "referral": report.get("referral"),
        "duplicate_of": (report.get("duplicate_of") or {}).get("code"),
        "forward_due_at": _iso(report.get("forward_due_at")),
        "auto_close_at": _iso(report.get("auto_close_at")),
        "postponed_until": _iso(report.get("postponed_until")),
        "rating": _iso(report.get("rating")),
        "history": [_history_entry(e, report["code"], base_url, actor)
                    for e in report.get("history", [])],
        "actions": action_forms(allowed_actions(report, actor)),
    }
    if staff:
        view["triage"] = bool(report.get("triage"))
        view["triage_reason"] = report.get("triage_reason")
        view["sla_breaches"] = _iso(report.get("sla_breaches", []))
        view["escalations"] = _iso([e for e in report.get("escalations", [])
                                    if inside(actor, e.get("agency"))])
    return view
