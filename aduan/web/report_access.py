"""Find a report for this caller: the one look-up by tracking code of every service.

The code is normalised (spaces, lower case), the report found, the caller's audience decided by
the visibility policy (aduan.domain.visibility), and whoever may not see the report is answered
404 `report_not_found`, exactly as for a code that does not exist: the same read, the same
token check, the same answer, so that a report's existence is never confirmed to a stranger,
to staff of another city or to an agency that does not hold it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flask import request
from pymongo.database import Database

from aduan.domain.codes import normalise, well_formed
from aduan.domain.errors import report_not_found
from aduan.domain.visibility import AUDIENCES, Audience, audience_of
from aduan.infra.config import Settings
from aduan.infra.keyring import Keyring, reporter_token_keys
from aduan.infra.reports import Reports
from aduan.infra.tokens import token_matches
from aduan.web.auth import Principal, current_principal
from aduan.web.errors import ApiError, from_domain

REPORTER_TOKEN_HEADER = "X-Reporter-Token"


def not_found() -> ApiError:
    return from_domain(report_not_found())


def lookup(db: Database, code: str) -> dict[str, Any] | None:
    """The report of a code as typed, or None (also for what cannot be a code)."""
    code = normalise(code)
    return Reports(db, None).by_code(code) if well_formed(code) else None


@dataclass(frozen=True)
class Caller:
    """Who asks: a staff member (or None), and the tracking token they sent (or None)."""

    staff: Principal | None = None
    reporter_token: str | None = None
    token_keys: Keyring | None = None

    def is_reporter_of(self, report_id: str) -> bool:
        return self.token_keys is not None and token_matches(
            self.token_keys, report_id, self.reporter_token)


@dataclass(frozen=True)
class Found:
    report: dict[str, Any]
    audience: Audience
    is_reporter: bool  # the caller's token is the report's (whatever their audience)


def find_for_caller(db: Database, code: str, caller: Caller,
                    audiences: Collection[Audience] = AUDIENCES) -> Found:
    """The report as `caller` may see it, through one of `audiences` (e.g. only "staff" for a
    staff-only door); 404 `report_not_found` otherwise."""
    report = lookup(db, code)
    # The token is checked for a missing report too: both answers take the same work.
    is_reporter = caller.is_reporter_of((report or {}).get("_id", ""))
    if report is None:
        raise not_found()
    audience = audience_of(report, staff=caller.staff if "staff" in audiences else None,
                           reporter=is_reporter and "reporter" in audiences)
    if audience is None or audience not in audiences:
        raise not_found()
    return Found(report, audience, is_reporter)


def staff_report(db: Database, code: str, staff: Principal) -> dict[str, Any]:
    """A report for staff: of their city, and for agency staff held by their agency now."""
    return find_for_caller(db, code, Caller(staff=staff), ("staff",)).report


def caller_of_request(settings: Settings, *, with_staff: bool = True) -> Caller:
    """The caller of this Flask request. `with_staff=False` leaves the Authorization header
    unread (doors for the public and reporters, where a bad staff token changes nothing)."""
    return Caller(staff=current_principal() if with_staff else None,
                  reporter_token=request.headers.get(REPORTER_TOKEN_HEADER),
                  token_keys=reporter_token_keys(settings))


def find_for_request(db: Database, settings: Settings, code: str,
                     audiences: Collection[Audience] = AUDIENCES) -> Found:
    """`find_for_caller` for the caller of this Flask request."""
    caller = caller_of_request(settings, with_staff="staff" in audiences)
    return find_for_caller(db, code, caller, audiences)
