"""Who may see and act on which report, for routing's doors: the one look-up
(aduan.web.report_access) with the visibility policy (aduan.domain.visibility). Staff of the
report's city (agency staff only on reports their agency holds now: not once withdrawn or
handed back), and the reporter holding the report's tracking token. Anyone else is answered
as for a report that does not exist."""

from __future__ import annotations

from typing import Any

from flask import request
from pymongo.database import Database

from aduan.infra.config import Settings
from aduan.web.auth import Principal, current_principal, require_roles
from aduan.web.errors import ApiError
from aduan.web.report_access import REPORTER_TOKEN_HEADER, find_for_request, staff_report

__all__ = ["reporter_report", "signed_in", "staff_report"]


def signed_in(*roles: str) -> Principal:
    """The caller, refused with 401 without a valid token and 403 for any other role."""
    principal = require_roles(*roles)(current_principal)()
    assert principal is not None  # require_roles refused the request otherwise
    return principal


def reporter_report(db: Database, settings: Settings, code: str) -> dict[str, Any]:
    """A report for its reporter's actions. A public report tells a caller without its token
    why they are refused; any other is a 404, as a missing one."""
    found = find_for_request(db, settings, code, ("reporter", "public"))
    if found.audience == "reporter":
        return found.report
    if not request.headers.get(REPORTER_TOKEN_HEADER):
        raise ApiError(401, "reporter_token_required",
                       f"Send the report's tracking token in the {REPORTER_TOKEN_HEADER} header.")
    raise ApiError(403, "invalid_reporter_token", "This tracking token is not valid.")

