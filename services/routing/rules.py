"""Who must act on a report: the category's rule, with `@kecamatan` resolved to the office of
the kecamatan the report's point lies in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from aduan.domain.geo import kecamatan_of
from aduan.domain.report_types import has_point, point_of
from aduan.infra.catalogue import KECAMATAN, category_of, kecamatan_agency_code, rule_agencies

KECAMATAN_MARGIN_M = 500.0


@dataclass(frozen=True)
class Decision:
    kind: str  # forward | refer | triage
    agencies: tuple[dict[str, Any], ...] = ()
    reason: str | None = None  # why a report is left to triage


def kecamatan_of_report(report: dict[str, Any]) -> dict[str, str] | None:
    """None also for a report without a point (an address typed at the desk, no location)."""
    point = point_of(report)
    if point is None:
        return None
    area = kecamatan_of(report["city"], point[0], point[1], KECAMATAN_MARGIN_M)
    return {"code": area.code, "name": area.name} if area else None


def active_agency(db: Database, city: str, code: str) -> dict[str, Any] | None:
    return db.agencies.find_one({"city": city, "code": code, "active": {"$ne": False}})


def decide(db: Database, report: dict[str, Any], kecamatan: dict[str, str] | None,
           category: dict[str, Any] | None = None,
           agency_of: Callable[[str, str], dict[str, Any] | None] | None = None) -> Decision:
    """`category`: the report's category document, if the caller has read it already;
    `agency_of(city, code)`: the active agency (a cached catalogue's), else read here."""
    city = report["city"]
    category = category or category_of(db, report)
    active_agency_of = agency_of or (lambda city, code: active_agency(db, city, code))
    if category is None:
        return Decision("triage", reason="unknown_category")
    if category.get("refer_to"):
        body = active_agency_of(city, category["refer_to"])
        if body is None:
            return Decision("triage", reason="unknown_agency")
        return Decision("refer", (body,))
    agencies: list[dict[str, Any]] = []
    if KECAMATAN in rule_agencies(category) and kecamatan is None and not has_point(report):
        # Which kecamatan office is unknown without a point: the operators decide.
        return Decision("triage", reason="no_location")
    for code in rule_agencies(category):
        if code == KECAMATAN:
            if kecamatan is None:
                continue
            code = kecamatan_agency_code(kecamatan["code"])
        agency = active_agency_of(city, code)
        if agency is not None and agency not in agencies:
            agencies.append(agency)
    if not agencies:
        return Decision("triage", reason="no_rule")
    return Decision("forward", tuple(agencies))
