"""Who may see and act on which report: staff of the report's city (agency staff only on reports
their agency holds now: not once withdrawn or handed back), and the reporter holding the
report's tracking token."""

from __future__ import annotations

from typing import Any

from flask import request
from pymongo.database import Database

from aduan.domain.codes import normalise, well_formed
from aduan.domain.lifecycle import agency_holds
from aduan.domain.visibility import is_public
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import token_matches
from aduan.web.auth import Principal, current_principal, require_roles
from aduan.web.errors import ApiError

REPORTER_TOKEN_HEADER = "X-Reporter-Token"


def signed_in(*roles: str) -> Principal:
    """The caller, refused with 401 without a valid token and 403 for any other role."""
    principal = require_roles(*roles)(current_principal)()
    assert principal is not None  # require_roles refused the request otherwise
    return principal


def _not_found() -> ApiError:
    return ApiError(404, "report_not_found", "No report has this tracking code.")


def find_report(db: Database, code: str) -> dict[str, Any]:
    code = normalise(code)
    report = db.reports.find_one({"code": code}) if well_formed(code) else None
    if report is None:
        raise _not_found()
    return report


def staff_report(db: Database, code: str, principal: Principal) -> dict[str, Any]:
    report = find_report(db, code)
    if report["city"] != principal.city:
        raise _not_found()
    if principal.is_agency and not agency_holds(report, principal.agency):
        raise ApiError(403, "not_assigned", "This report is not assigned to your agency.",
                       {"agency": principal.agency})
    return report


def reporter_report(db: Database, settings: Settings, code: str) -> dict[str, Any]:
    report = find_report(db, code)
    token = request.headers.get(REPORTER_TOKEN_HEADER)
    if token and token_matches(reporter_token_keys(settings), report["_id"], token):
        return report
    if not is_public(report):
        raise _not_found()  # the existence of a report the public may not see is not confirmed
    if not token:
        raise ApiError(401, "reporter_token_required",
                       f"Send the report's tracking token in the {REPORTER_TOKEN_HEADER} header.")
    raise ApiError(403, "invalid_reporter_token", "This tracking token is not valid.")
