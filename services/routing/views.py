"""What staff and reporters see of a report's workflow, with the actions the caller may take
now (the console draws its buttons from them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aduan.domain.lifecycle import Actor, action_forms, allowed_actions, is_overdue
from aduan.domain.stages import stages
from aduan.domain.visibility import shown_texts
from aduan.infra.stage_views import city_stage_view
from aduan.web import photo_urls


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


def _history_entry(entry: dict[str, Any], code: str, base_url: str, *, staff: bool
                   ) -> dict[str, Any]:
    actor = entry.get("actor") or {}
    shown = {k: v for k, v in entry.items() if k not in ("actor", "photos", "note")}
    shown.update(shown_texts(entry, staff=staff, reporter=not staff))
    shown["by"] = {"kind": actor.get("kind"), "role": actor.get("role"),
                   "agency": actor.get("agency")}
    if staff:
        shown["by"]["id"] = actor.get("id")
    if entry.get("photos"):
        shown["photos"] = _photos(code, entry["photos"], base_url)
    return _iso(shown)


def workflow_view(report: dict[str, Any], base_url: str, actor: Actor) -> dict[str, Any]:
    """`actor`: who asks (staff see internal notes, breaches and triage; a reporter does not)."""
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
        "agencies": [{**_iso(a), "overdue": is_overdue(report, now, a["code"])}
                     for a in report.get("agencies", [])],
        "referral": report.get("referral"),
        "duplicate_of": (report.get("duplicate_of") or {}).get("code"),
        "forward_due_at": _iso(report.get("forward_due_at")),
        "auto_close_at": _iso(report.get("auto_close_at")),
        "postponed_until": _iso(report.get("postponed_until")),
        "rating": _iso(report.get("rating")),
        "history": [_history_entry(e, report["code"], base_url, staff=staff)
                    for e in report.get("history", [])],
        "actions": action_forms(allowed_actions(report, actor)),
    }
    if staff:
        view["triage"] = bool(report.get("triage"))
        view["triage_reason"] = report.get("triage_reason")
        view["sla_breaches"] = _iso(report.get("sla_breaches", []))
        view["escalations"] = _iso(report.get("escalations", []))
    return view
