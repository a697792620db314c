"""Which city an administrator acts on: a city's staff (sysadmins, operators) their own city
only; the platform admin every city. Every admin API narrows its reads and checks its writes
here, so no handler decides the wall on its own."""

from __future__ import annotations

from typing import Any

from aduan.web.auth import AGENCY_ROLES, PLATFORM_ADMIN, Principal
from aduan.web.errors import ApiError


def city_scope(principal: Principal) -> str | None:
    """The one city this principal administers; None: every city (the platform admin)."""
    return None if principal.role == PLATFORM_ADMIN else principal.city


def agency_scope(principal: Principal) -> str | None:
    """The one agency whose reports, figures and escalations this principal reads (agency
    admins, officers and the agency's head); None: the whole city (or every city). An agency
    role bound to no agency is refused (403 `not_assigned`)."""
    if principal.role not in AGENCY_ROLES:
        return None
    if not principal.agency:
        raise ApiError(403, "not_assigned", "Your account belongs to no agency.")
    return principal.agency


def scoped(principal: Principal, query: dict[str, Any], field: str = "city") -> dict[str, Any]:
    """`query` narrowed to the principal's city (unchanged for the platform admin)."""
    city = city_scope(principal)
    return dict(query) if city is None else {**query, field: city}


def may_administer(principal: Principal, city: str | None) -> bool:
    scope = city_scope(principal)
    return scope is None or scope == city


def require_city(principal: Principal, city: str | None) -> None:
    """Refuses acting on another city (403 `other_city`, as intake and verification do)."""
    if not may_administer(principal, city):
        raise ApiError(403, "other_city", "You administer your own city only.",
                       {"city": city})
