"""Four Kotamobagu reports of February 2025 with known histories, and the figures they must give.

A (waste): routed to DLH 2 h after submission, accepted 4 h later with a public response,
  resolved 24 h after the forward by officer Budi (assigned 1 h after the acceptance, first
  visit 2 h later, resolved 16 h after that; Sari was taken off), confirmed, rated 4.
B (fire: 1 working day per step): reviewed, forwarded to SATPOLPP and DLH 146 h after submission
  (the forward deadline was the end of 5 Feb); SATPOLPP accepts 2 h later without a word to the
  reporter (its follow-up deadline passes), DLH never answers.
C (waste): rejected by verification; no clock.
D (waste, web): verified on 27 Feb, not yet forwarded on 1 March (due end of 4 March): pending.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

CITY = "kotamobagu"
NOW = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _entry(at: datetime, frm: str | None, to: str, **details: Any) -> dict[str, Any]:
    agency = details.get("agency")
    actor = {"kind": "staff" if agency or details.get("action") in ("forward", "verify")
             else "system", "id": "fixture", "role": "officer" if agency else None,
             "agency": agency}
    return {"at": at, "from": frm, "to": to, "actor": actor, "note": None, **details}


def _report(key: str, created: datetime, category: str, channel: str, status: str,
            kecamatan: str | None, history: list[dict[str, Any]],
            agencies: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {**extra,
        "_id": f"stats-fixture-{key}", "code": f"KTG-2025-9{ord(key):05d}", "city": CITY,
        "category": category, "channel": channel, "status": status, "privacy": "public",
        "description": "fixture", "location": {"lat": 0.73, "lon": 124.33},
        "kecamatan": {"code": "x", "name": kecamatan} if kecamatan else None,
        "created_at": created, "updated_at": history[-1]["at"], "photos": [], "outbox": [],
        "history": history, "agencies": agencies, "version": len(history),
    }


def reports() -> list[dict[str, Any]]:
    a0 = datetime(2025, 2, 3, 1, 0, tzinfo=UTC)  # Monday, 09:00 WITA
    b0 = datetime(2025, 2, 4, 2, 0, tzinfo=UTC)
    c0 = datetime(2025, 2, 20, 1, 0, tzinfo=UTC)
    d0 = datetime(2025, 2, 27, 1, 0, tzinfo=UTC)  # Thursday
    b_fwd = datetime(2025, 2, 10, 4, 0, tzinfo=UTC)
    return [
        _report("A", a0, "waste", "app", "closed", "Kotamobagu Timur", [
            _entry(a0, None, "submitted"),
            _entry(a0 + timedelta(minutes=1), "submitted", "verifying"),
            _entry(a0 + timedelta(minutes=2), "verifying", "verified"),
            _entry(a0 + 2 * H, "verified", "forwarded", action="route", agencies=["DLH"]),
            _entry(a0 + 6 * H, "forwarded", "accepted", action="accept", agency="DLH",
                   agency_from="forwarded", agency_to="accepted",
                   public_response="Petugas kami ke lokasi besok."),
            _entry(a0 + 8 * H, "accepted", "in_progress", action="start", agency="DLH",
                   agency_from="accepted", agency_to="in_progress"),
            _entry(a0 + 26 * H, "in_progress", "resolved", action="resolve", agency="DLH",
                   agency_from="in_progress", agency_to="resolved"),
            _entry(a0 + 30 * H, "resolved", "closed", action="confirm"),
        ], [{"code": "DLH", "status": "resolved", "officers": [
            {"id": "officer-1", "name": "Budi", "assigned_at": a0 + 7 * H,
             "first_visit_at": a0 + 9 * H, "resolved_at": a0 + 25 * H, "status": "resolved"},
            {"id": "officer-2", "name": "Sari", "assigned_at": a0 + 7 * H,
             "first_visit_at": None, "resolved_at": None, "status": "removed"}]}],
            rating={"score": 4, "comment": "Cepat", "at": a0 + 31 * H}),
        _report("B", b0, "fire", "call_centre", "accepted", "Kotamobagu Barat", [
            _entry(b0, None, "submitted"),
            _entry(b0 + timedelta(minutes=1), "submitted", "verifying"),
            _entry(b0 + timedelta(minutes=2), "verifying", "needs_review"),
            _entry(datetime(2025, 2, 10, 2, 0, tzinfo=UTC), "needs_review", "verified",
                   action="verify"),
            _entry(b_fwd, "verified", "forwarded", action="forward",
                   agencies=["SATPOLPP", "DLH"]),
            _entry(b_fwd + 2 * H, "forwarded", "accepted", action="accept", agency="SATPOLPP",
                   agency_from="forwarded", agency_to="accepted"),
        ], [{"code": "SATPOLPP", "status": "accepted"}, {"code": "DLH", "status": "forwarded"}]),
        _report("C", c0, "waste", "app", "rejected", None, [
            _entry(c0, None, "submitted"),
            _entry(c0 + timedelta(minutes=1), "submitted", "verifying"),
            _entry(c0 + timedelta(minutes=2), "verifying", "rejected"),
        ], []),
        _report("D", d0, "waste", "web", "verified", None, [
            _entry(d0, None, "submitted"),
            _entry(d0 + timedelta(minutes=1), "submitted", "verifying"),
            _entry(d0 + timedelta(minutes=2), "verifying", "verified"),
        ], []),
    ]


EXPECTED_COUNTS = {
    "total": 4,
    "by_stage": {
        "kiniko": {"not_forwarded": 1, "not_accepted": 0, "accepted": 1, "done": 1, "none": 1},
        "sigap": {"verified": 1, "in_process": 1, "done": 1, "none": 1},
        # Kotamobagu shows SP4N-LAPOR!'s stages (aduan/data/cities.json).
        "city": {"not_verified": 0, "not_followed_up": 1, "in_process": 1, "done": 1,
                 "none": 1},
    },
    "by_status": {"accepted": 1, "closed": 1, "rejected": 1, "verified": 1},
    "by_agency": {"DLH": 2, "SATPOLPP": 1},
    "by_kecamatan": {"Kotamobagu Barat": 1, "Kotamobagu Timur": 1, "unknown": 2},
    "by_category": {"fire": 1, "waste": 3},
    "by_channel": {"app": 2, "call_centre": 1, "web": 1},
}
EXPECTED_WEEKS = {"2025-W06": 2, "2025-W08": 1, "2025-W09": 1}
EXPECTED_AGENCIES = [
    {"agency": "DLH", "reports": 2,
     "by_type": {"complaint": 2, "aspiration": 0, "information_request": 0},
     "time_to_forward": {"count": 2, "median_hours": 74.0, "p90_hours": 146.0},
     "time_to_first_response": {"count": 1, "median_hours": 4.0, "p90_hours": 4.0},
     "time_to_follow_up": {"count": 1, "median_hours": 4.0, "p90_hours": 4.0},
     "time_to_resolve": {"count": 1, "median_hours": 24.0, "p90_hours": 24.0},
     "sla": {"met": 1, "missed": 1, "pending": 0, "compliance_pct": 50.0}},
    {"agency": "SATPOLPP", "reports": 1,
     "by_type": {"complaint": 1, "aspiration": 0, "information_request": 0},
     "time_to_forward": {"count": 1, "median_hours": 146.0, "p90_hours": 146.0},
     "time_to_first_response": {"count": 1, "median_hours": 2.0, "p90_hours": 2.0},
     "time_to_follow_up": {"count": 0, "median_hours": None, "p90_hours": None},
     "time_to_resolve": {"count": 0, "median_hours": None, "p90_hours": None},
     "sla": {"met": 0, "missed": 1, "pending": 0, "compliance_pct": 0.0}},
]
EXPECTED_OFFICERS = [
    {"agency": "DLH", "officer": "officer-1", "name": "Budi", "assignments": 1, "visited": 1,
     "resolved": 1, "time_to_first_visit": {"count": 1, "median_hours": 2.0, "p90_hours": 2.0},
     "time_to_resolve": {"count": 1, "median_hours": 18.0, "p90_hours": 18.0}},
]
# A is the one report that could be rated (closed), rated 4 for DLH, which resolved it.
EXPECTED_RATINGS_OVERALL = {"rated": 1, "rateable": 1, "share_rated_pct": 100.0,
                            "average": 4.0,
                            "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}
EXPECTED_SLA = {
    "forward": {"met": 1, "missed": 1, "pending": 1, "compliance_pct": 50.0},
    "follow_up": {"met": 1, "missed": 2, "pending": 0, "compliance_pct": 33.3},
    "overall": {"met": 2, "missed": 3, "pending": 1, "compliance_pct": 40.0},
}
CATEGORIES = {
    "waste": {"code": "waste"},
    "fire": {"code": "fire", "sla": {"forward_days": 1, "follow_up_days": 1}},
}
