"""What the operators see of the SP4N-LAPOR! sync: one report's state, and each city's.

Read from the connector's own records (services/lapor/sync.py's `lapor_sync`, one document
per report linked to LAPOR!; the importer's `lapor_cursors`), never from LAPOR! itself: the
view answers while LAPOR! is down, which is when it is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from pymongo.database import Database

from aduan.infra.catalogue import cities
from aduan.web.app import collaborators
from aduan.web.auth import (
    LEADER,
    OPERATOR,
    PLATFORM_ADMIN,
    SYSADMIN,
    authorised_principal,
    require_roles,
)
from aduan.web.errors import ApiError
from aduan.web.report_access import staff_report
from aduan.web.scope import city_scope
from services.lapor.adapter import connected_cities, enabled
from services.lapor.exporter import Item, pending_items
from services.lapor.sync import CURSORS, SYNC
from services.lapor.topics import LAPOR_BODY

RECENT_ERRORS = 5

blueprint = Blueprint("lapor_sync", __name__)



def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def waiting_items(report: dict[str, Any], sync: dict[str, Any]) -> list[Item]:
    """The follow-ups LAPOR! has not had yet, by the exporter's own rule, read now (the
    record's `pending` is as of the exporter's last run: a change just made is not in it)."""
    if not sync.get("tracking_id"):
        return []
    return pending_items(report, sync)


def lag_seconds(waiting: list[Item], now: datetime) -> float | None:
    """How long the oldest change not yet sent has waited (None: nothing waits)."""
    if not waiting:
        return None
    return max(0.0, (now - min(item.at for item in waiting)).total_seconds())


def sync_view(report: dict[str, Any], sync: dict[str, Any] | None,
              now: datetime) -> dict[str, Any]:
    """The report's sync state; a report linked but not yet recorded by the connector (just
    imported, or forwarded and not yet created at LAPOR!) shows as waiting."""
    external = report.get("external") or {}
    if sync is None:
        forwarded = (report.get("referral") or {}).get("code") == LAPOR_BODY
        return {"code": report["code"], "city": report["city"],
                "direction": "forwarded" if forwarded else "imported",
                "tracking_id": external.get("id") if not forwarded else None,
                "state": "waiting", "exported": [], "pending": None, "last_error": None,
                "blocked": None, "sending": False,
                "lag_seconds": None, "imported_at": None, "updated_at": None}
    waiting = waiting_items(report, sync)
    pending = len(waiting)
    state = ("blocked" if sync.get("blocked") else "failing" if sync.get("last_error")
             else "waiting" if not sync.get("tracking_id")
             else "pending" if pending or sync.get("inflight") else "in_sync")
    exported = sorted(sync.get("exported") or [], key=lambda e: e.get("seq", 0))
    return _iso({
        "code": report["code"], "city": report["city"],
        "direction": sync.get("direction"), "tracking_id": sync.get("tracking_id"),
        "state": state,
        "exported": [{k: e.get(k) for k in ("seq", "stream", "ref", "status", "kind", "at")}
                     for e in exported],
        "pending": pending, "last_error": sync.get("last_error"),
        # LAPOR! refused a send: nothing more goes until an operator replays the parked event.
        "blocked": sync.get("blocked"),
        # A follow-up whose send started and is not yet recorded (the next run asks LAPOR!).
        "sending": bool(sync.get("inflight")),
        "lag_seconds": lag_seconds(waiting, now),
        "imported_at": sync.get("imported_at"), "updated_at": sync.get("updated_at"),
    })


def _linked(report: dict[str, Any]) -> bool:
    return ((report.get("external") or {}).get("system") == "sp4n_lapor"
            or (report.get("referral") or {}).get("code") == LAPOR_BODY)


@blueprint.get("/reports/<code>/lapor")
@require_roles(OPERATOR, SYSADMIN, LEADER)
def report_sync(code: str) -> Response:
    db = collaborators().db
    report = staff_report(db, code, authorised_principal())
    sync = db[SYNC].find_one({"_id": report["_id"]})
    if sync is None and not _linked(report):
        raise ApiError(404, "report_not_linked", "This report is not linked to SP4N-LAPOR!.",
                       {"code": report["code"]})
    return jsonify(sync_view(report, sync, datetime.now(UTC)))


def city_status(db: Database, city: str, enabled: bool) -> dict[str, Any]:
    linked = db[SYNC]
    pending = sum(int(d.get("pending") or 0)
                  for d in linked.find({"city": city, "pending": {"$gt": 0}}, {"pending": 1}))
    failing = linked.find({"city": city, "last_error": {"$ne": None}},
                          {"code": 1, "tracking_id": 1, "last_error": 1}) \
        .sort("last_error.at", -1).limit(RECENT_ERRORS)
    cursor = db[CURSORS].find_one({"_id": city}) or db[CURSORS].find_one({"city": city}) or {}
    return _iso({
        "city": city, "enabled": enabled,
        "imported": linked.count_documents({"city": city, "direction": "imported"}),
        "forwarded": linked.count_documents({"city": city, "direction": "forwarded"}),
        "pending": pending,
        "failing": linked.count_documents({"city": city, "last_error": {"$ne": None}}),
        "blocked": linked.count_documents({"city": city, "blocked": {"$ne": None}}),
        "recent_errors": [{"code": d.get("code"), "tracking_id": d.get("tracking_id"),
                           **(d.get("last_error") or {})} for d in failing],
        "last_import": {k: v for k, v in cursor.items() if k not in ("_id", "city")} or None,
    })


@blueprint.get("/lapor/status")
@require_roles(OPERATOR, SYSADMIN, PLATFORM_ADMIN)
def status() -> Response:
    context = collaborators()
    scope = city_scope(authorised_principal())
    served = [scope] if scope else sorted(cities())
    connected = connected_cities(context.settings)
    return jsonify({"connector": "on" if enabled(context.settings) else "off",
                    "cities": [city_status(context.db, city, city in connected)
                               for city in served]})
