"""Where staff can be reached.

Two sources, both optional:
- on an agency (`agencies`, `_id` "city:CODE"): `liaison_emails` (list of addresses of its
  liaison admins), `head_email`, `head_phone`, `head_language` ("id" or "en");
- the `staff_contacts` collection, one document per person and role:
      {_id, city: "padang", role: "leader" | "agency_head" | "agency_admin" | "operator" | ...,
       agency: "DLH" or null, name, email, phone, language: "id" | "en", active: true}
  `agency` is null for city-wide roles; a leader with an agency hears only about that agency.
  `active: false` silences a contact without deleting it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from aduan.domain.status_names import language_of

HEAD_ROLES = frozenset({"head", "head_of_agency", "agency_head"})


@dataclass(frozen=True)
class Contact:
    role: str
    email: str | None = None
    phone: str | None = None
    language: str = "id"
    agency: str | None = None


def normalize_phone(number: str) -> str | None:
    """E.164-style "+62812..." for Indonesian numbers written 0812..., 62812... or +62 812-...;
    None when it is no phone number at all."""
    digits = re.sub(r"[\s-]", "", number)
    if digits.startswith("+"):
        rest = digits[1:]
    elif digits.startswith("0"):
        rest = "62" + digits[1:]
    else:
        rest = digits
    return f"+{rest}" if rest.isdigit() and 8 <= len(rest) <= 15 else None


def _from_staff(doc: dict[str, Any]) -> Contact:
    return Contact(role=doc.get("role", ""), email=doc.get("email") or None,
                   phone=doc.get("phone") or None, language=language_of(doc.get("language")),
                   agency=doc.get("agency"))


def staff(db: Database, city: str, role: str, agency: str | None = None) -> list[Contact]:
    """Active staff contacts of a role in a city; with `agency`, those of that agency plus the
    city-wide ones of the role (agency null)."""
    query: dict[str, Any] = {"city": city, "role": role}
    if agency is not None:
        query["agency"] = {"$in": [agency, None]}
    return [_from_staff(doc) for doc in db.staff_contacts.find(query)
            if doc.get("active", True)]


def agency_doc(db: Database, city: str, code: str) -> dict[str, Any] | None:
    return db.agencies.find_one({"_id": f"{city}:{code}"})


def liaisons(db: Database, city: str, code: str) -> list[Contact]:
    agency = agency_doc(db, city, code) or {}
    listed = [Contact(role="agency_admin", email=address, agency=code)
              for address in agency.get("liaison_emails") or [] if isinstance(address, str)]
    people = [c for c in staff(db, city, "agency_admin", code) if c.agency == code]
    return listed + people


def heads(db: Database, city: str, code: str) -> list[Contact]:
    agency = agency_doc(db, city, code) or {}
    found = []
    if agency.get("head_email") or agency.get("head_phone"):
        found.append(Contact(role="agency_head", email=agency.get("head_email") or None,
                             phone=agency.get("head_phone") or None,
                             language=language_of(agency.get("head_language")), agency=code))
    found += [c for c in staff(db, city, "agency_head", code) if c.agency == code]
    return found


def leaders(db: Database, city: str, agency: str | None = None) -> list[Contact]:
    """City-wide leaders, and with `agency` also the leaders watching that agency only."""
    if agency is None:
        return [c for c in staff(db, city, "leader") if c.agency is None]
    return staff(db, city, "leader", agency)


def escalation(db: Database, city: str, agency: str | None,
               escalate_to: list[dict[str, Any]] | None) -> list[Contact]:
    """Who hears of an SLA breach: always the head of the agency and the leaders, plus whoever
    the routing service named in `escalate_to` ([{role, agency}])."""
    found = leaders(db, city, agency)
    if agency:
        found += heads(db, city, agency)
    for target in escalate_to or []:
        if not isinstance(target, dict) or not isinstance(target.get("role"), str):
            continue
        role, target_agency = target["role"], target.get("agency") or agency
        if role in HEAD_ROLES:
            found += heads(db, city, target_agency) if target_agency else []
        elif role == "leader":
            found += leaders(db, city, target_agency)
        elif role == "agency_admin" and target_agency:
            found += liaisons(db, city, target_agency)
        else:
            found += staff(db, city, role, target_agency)
    return found
