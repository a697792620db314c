"""Where staff can be reached: the city's users (db.users, written only through the gateway's
user API: gateway/users.py), each with a role, an agency for agency roles, and a name, email,
phone and language. Disabled users hear nothing. Who hears what is derived from the roles:

- liaisons of an agency: its active agency admins;
- heads of an agency: its active agency heads;
- leaders: the city-wide leaders (with an agency, that agency's heads too: a head is a leader
  scoped to one agency);
- operators: the city's operators;
- officers: named officers of an agency (the ones a report was dispatched to).

External contacts (a vertical body's complaints desk) live in the catalogue (agency `contact`)
and are not staff: no audience reads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from aduan.domain.contact_details import normalize_phone as normalize_phone  # re-exported
from aduan.domain.roles import (
    AGENCY_ADMIN,
    AGENCY_HEAD,
    LEADER,
    NOTIFIED_ROLES,
    OFFICER,
    OPERATOR,
)
from aduan.domain.status_names import language_of
from aduan.infra.versioned_cache import STAFF, VersionedCache, Versions

_FIELDS = {"role": 1, "agency": 1, "name": 1, "email": 1, "phone": 1, "language": 1}


@dataclass(frozen=True)
class Contact:
    role: str
    email: str | None = None
    phone: str | None = None
    language: str = "id"
    agency: str | None = None
    name: str | None = None
    user_id: str | None = None


def _contact(doc: dict[str, Any]) -> Contact:
    return Contact(role=doc.get("role", ""), email=doc.get("email") or None,
                   phone=doc.get("phone") or None, language=language_of(doc.get("language")),
                   agency=doc.get("agency"), name=doc.get("name"), user_id=doc.get("_id"))




def _load_staff(db: Database) -> list[dict[str, Any]]:
    fields = {**_FIELDS, "city": 1, "username": 1}
    query = {"role": {"$in": list(NOTIFIED_ROLES)}, "disabled": {"$ne": True}}
    return list(db.users.find(query, fields).sort("username", 1))


class StaffCache:
    """The active users of the audience roles, one copy per notification process
    (`aduan.infra.versioned_cache`), read again when the user API announces a change; the
    functions below take it in place of the database."""

    def __init__(self, versions: Versions, max_age_s: float = 60.0) -> None:
        self._cache = VersionedCache(versions, STAFF, _load_staff, max_age_s)

    def find(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """The users matching `query` as `_users` asks (equalities; `_id` with `$in`)."""
        def matches(doc: dict[str, Any]) -> bool:
            for name, wanted in query.items():
                if isinstance(wanted, dict):
                    if doc.get(name) not in wanted["$in"]:
                        return False
                elif doc.get(name) != wanted:
                    return False
            return True
        return [doc for doc in self._cache.get() if matches(doc)]


People = Database | StaffCache


def _users(db: People, query: dict[str, Any]) -> list[Contact]:
    if isinstance(db, StaffCache):
        return [_contact(doc) for doc in db.find(query)]
    active = {**query, "disabled": {"$ne": True}}
    return [_contact(doc) for doc in db.users.find(active, _FIELDS).sort("username", 1)]


def staff(db: People, city: str, role: str, agency: str | None = None) -> list[Contact]:
    """Active users of a role in a city; with `agency`, only that agency's."""
    query: dict[str, Any] = {"city": city, "role": role}
    if agency is not None:
        query["agency"] = agency
    return _users(db, query)


def agency_doc(db: Database, city: str, code: str) -> dict[str, Any] | None:
    return db.agencies.find_one({"_id": f"{city}:{code}"})


def liaisons(db: People, city: str, code: str) -> list[Contact]:
    """The agency's admins: they receive its reports."""
    return staff(db, city, AGENCY_ADMIN, code)


def heads(db: People, city: str, code: str | None = None) -> list[Contact]:
    """The head(s) of the agency; without `code`, the heads of every agency of the city."""
    return staff(db, city, AGENCY_HEAD, code)


def leaders(db: People, city: str, agency: str | None = None) -> list[Contact]:
    """The city-wide leaders, and with `agency` also that agency's heads."""
    found = staff(db, city, LEADER)
    return found + heads(db, city, agency) if agency else found


def operators(db: People, city: str) -> list[Contact]:
    return staff(db, city, OPERATOR)


def officers(db: People, city: str, agency: str | None, ids: Iterable[Any]) -> list[Contact]:
    """Those of `ids` who are active officers of the agency (an id of anyone else is ignored:
    a dispatch names officers of the dispatching agency only)."""
    wanted = [i for i in ids if isinstance(i, str)]
    if not wanted or not agency:
        return []
    return _users(db, {"_id": {"$in": wanted}, "city": city, "role": OFFICER,
                       "agency": agency})


def escalation(db: People, city: str, agency: str | None, kind: str | None = None,
               escalate_to: list[dict[str, Any]] | None = None) -> list[Contact]:
    """Who hears of an SLA breach. The city missed forwarding (`kind` "forward", or no agency):
    the leaders and the operators. An agency missed its follow-up or resolution: its heads and
    the leaders. Plus whoever the routing service named in `escalate_to` ([{role, agency}])."""
    if kind == "forward" or not agency:
        found = leaders(db, city) + operators(db, city)
    else:
        found = heads(db, city, agency) + leaders(db, city)
    for target in escalate_to or []:
        if not isinstance(target, dict) or not isinstance(target.get("role"), str):
            continue
        role, target_agency = target["role"], target.get("agency") or agency
        if role == AGENCY_HEAD:
            found += heads(db, city, target_agency) if target_agency else []
        elif role == LEADER:
            found += leaders(db, city)
        elif role == OPERATOR:
            found += operators(db, city)
        elif role == AGENCY_ADMIN and target_agency:
            found += liaisons(db, city, target_agency)
    return found
