"""The stage views cities publish, projected from a report's status and its agencies' own
sub-statuses: Padang Kiniko's four stages and Sigap!'s three. Pure functions, no I/O.

A report outside a view's pipeline (not yet verified, rejected, archived, a duplicate) has no
stage there (None). A referral to a vertical body ends the city's part: it counts as done.
"""

from __future__ import annotations

from typing import Any

KINIKO_STAGES: dict[str, dict[str, str]] = {
    "not_forwarded": {"id": "Belum diteruskan admin", "en": "Not yet forwarded by the admin"},
    "not_accepted": {"id": "Belum diterima OPD/camat", "en": "Not yet accepted by the agency"},
    "accepted": {"id": "Diterima", "en": "Accepted"},
    "done": {"id": "Selesai", "en": "Done"},
}
SIGAP_STAGES: dict[str, dict[str, str]] = {
    "verified": {"id": "Terverifikasi", "en": "Verified"},
    "in_process": {"id": "Diproses", "en": "In process"},
    "done": {"id": "Selesai", "en": "Done"},
}

_KINIKO_BY_STATUS: dict[str, str | None] = {
    "submitted": "not_forwarded",
    "verifying": "not_forwarded",
    "needs_review": "not_forwarded",
    "verified": "not_forwarded",
    "postponed": "not_forwarded",
    "forwarded": "not_accepted",
    "accepted": "accepted",
    "in_progress": "accepted",
    "reopened": "accepted",
    "resolved": "done",
    "closed": "done",
    "referred": "done",
    "rejected": None,
    "archived": None,
    "duplicate": None,
}
_SIGAP_BY_STATUS: dict[str, str | None] = {
    "submitted": None,
    "verifying": None,
    "needs_review": None,
    "verified": "verified",
    "postponed": "verified",
    "forwarded": "in_process",
    "accepted": "in_process",
    "in_progress": "in_process",
    "reopened": "in_process",
    "resolved": "done",
    "closed": "done",
    "referred": "done",
    "rejected": None,
    "archived": None,
    "duplicate": None,
}
_KINIKO_BY_ASSIGNMENT: dict[str, str | None] = {
    "forwarded": "not_accepted",
    "accepted": "accepted",
    "in_progress": "accepted",
    "resolved": "done",
    "handed_back": None,
    "withdrawn": None,
}


def kiniko_stage(report: dict[str, Any]) -> str | None:
    return _KINIKO_BY_STATUS[report["status"]]


def sigap_stage(report: dict[str, Any]) -> str | None:
    return _SIGAP_BY_STATUS[report["status"]]


def kiniko_stage_for_agency(report: dict[str, Any], agency: str) -> str | None:
    """The stage as one agency's own dashboard shows it: its own assignment's progress (the
    latest one, when the report was forwarded to it more than once)."""
    mine = [a for a in report.get("agencies", []) if a["code"] == agency]
    if not mine:
        return None
    if report["status"] == "closed" and mine[-1]["status"] == "resolved":
        return "done"
    return _KINIKO_BY_ASSIGNMENT[mine[-1]["status"]]


def stages(report: dict[str, Any]) -> dict[str, str | None]:
    return {"kiniko": kiniko_stage(report), "sigap": sigap_stage(report)}



def statuses_in_kiniko_stage(stage: str) -> list[str]:
    """The report statuses a Kiniko stage is made of (for list filters)."""
    return sorted(status for status, name in _KINIKO_BY_STATUS.items() if name == stage)
