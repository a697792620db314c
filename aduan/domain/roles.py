"""Staff roles: the one list of who is who. Pure: the domain (lifecycle, visibility) reads it,
and `aduan.web.auth` re-exports it for the services' edges."""

from __future__ import annotations

OPERATOR = "operator"
AGENCY_ADMIN = "agency_admin"
OFFICER = "officer"
AGENCY_HEAD = "agency_head"  # head of an agency: a leader scoped to it, reads but does not act
LEADER = "leader"
SYSADMIN = "sysadmin"
# A city's staff: the API grants these.
ROLES = (OPERATOR, AGENCY_ADMIN, OFFICER, AGENCY_HEAD, LEADER, SYSADMIN)
# Administers every city. No API grants it: only `python -m gateway.admin_cli` on the server.
PLATFORM_ADMIN = "platform_admin"
TOKEN_ROLES = (*ROLES, PLATFORM_ADMIN)
# Bound to one agency, and reading only what it holds (or held, for its head).
AGENCY_ROLES = (AGENCY_ADMIN, OFFICER, AGENCY_HEAD)
# Of those, the ones that take the agency's moves on a report (lifecycle.Actor.acts_as).
ACTING_AGENCY_ROLES = (AGENCY_ADMIN, OFFICER)
# The roles someone is told something as (services/notification/contacts.py): all but the
# sysadmins.
NOTIFIED_ROLES = (OPERATOR, AGENCY_ADMIN, OFFICER, AGENCY_HEAD, LEADER)
# Staff who write comments on a report they handle (the head reads only).
COMMENTING_ROLES = (OPERATOR, *ACTING_AGENCY_ROLES)
