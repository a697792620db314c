"""Operators complete the location of a report that came without a point (an SMS, an address
told at the desk) when they verify it: `verify` takes a `point` (aduan/contracts/actions.py),
the planner keeps the address and sets the point and its kecamatan, and never replaces a point
the report has (aduan.domain.lifecycle.plan_verify)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from aduan.contracts.actions import MODELS
from aduan.domain import lifecycle as lc
from aduan.domain.errors import Conflict
from aduan.domain.lifecycle import Actor

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
OPERATOR = Actor(kind="staff", id="op-1", role="operator")
PLACE = {"lat": -0.95, "lon": 100.36, "kecamatan": {"code": "PDG-UTR", "name": "Padang Utara"}}


class Deadlines:
    def forward_due(self, city: str, category: Any, start: datetime) -> datetime:
        return start + timedelta(days=3)


def _report(location: dict[str, Any] | None) -> dict[str, Any]:
    return {"_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "category": "waste",
            "status": "needs_review", "created_at": NOW - timedelta(hours=1), "agencies": [],
            "photos": [], "channel": "sms", "location": location, "kecamatan": None}


def test_the_point_is_set_beside_the_address_with_its_kecamatan():
    plan = lc.plan_verify(_report({"address": "Jl. Sudirman depan pasar", "lat": None,
                                   "lon": None}), NOW, None, OPERATOR,
                          deadlines=Deadlines(), category=None, place=PLACE)
    assert plan.target == "verified"
    assert plan.set["location"] == {"address": "Jl. Sudirman depan pasar", "lat": -0.95,
                                    "lon": 100.36}
    assert plan.set["kecamatan"] == PLACE["kecamatan"]
    assert plan.details["located"] == {"lat": -0.95, "lon": 100.36}


def test_a_report_without_any_location_gets_one():
    plan = lc.plan_verify(_report(None), NOW, None, OPERATOR, deadlines=Deadlines(),
                          category=None, place=PLACE)
    assert plan.set["location"] == {"lat": -0.95, "lon": 100.36}


def test_a_point_the_report_has_is_never_replaced():
    with pytest.raises(Conflict) as refused:
        lc.plan_verify(_report({"lat": -0.9, "lon": 100.3}), NOW, None, OPERATOR,
                       deadlines=Deadlines(), category=None, place=PLACE)
    assert refused.value.code == "report_has_point"


def test_without_a_point_verify_is_as_before():
    plan = lc.plan_verify(_report({"address": "Jl. A"}), NOW, None, OPERATOR,
                          deadlines=Deadlines(), category=None)
    assert "location" not in plan.set and "kecamatan" not in plan.set


def test_the_contract_takes_a_point_only_whole_and_numeric():
    verify = MODELS["verify"]
    assert verify.model_validate({"point": {"lat": -0.95, "lon": 100.36}}).point.lat == -0.95
    for bad in ({"lat": -0.95}, {"lat": "-0.95", "lon": 100.36}, {"lat": 91, "lon": 0},
                {"lat": 0, "lon": 0, "alt": 3}):
        with pytest.raises(ValidationError):
            verify.model_validate({"point": bad})
