"""Possible duplicates by place, through the running platform: a report of the same category
filed within ADUAN_PLACE_DUPLICATE_RADIUS_M (50 m) and ADUAN_PLACE_DUPLICATE_WINDOW_H (72 h)
after an open one is listed to the city's staff, who mark it a duplicate in one action.

Each test works at a spot of Padang of its own (photo_factory.spot_of_its_own), far from
other tests' reports, and looks only at its own reports in the lists. "Not linked" is read
once the report's verdict is in: the list is written in the same write as the verdict."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
import requests
from photo_factory import moved_north, photo_of_its_own, spot_of_its_own
from stack_client import REPORT, submit, wait_for_status
from workflow_client import act, bearer

pytestmark = pytest.mark.stack
JUDGED = {"verified", "needs_review", "rejected", "forwarded", "referred"}


def _file(api: str, rng: random.Random, point: tuple[float, float], category: str = "waste"
          ) -> dict[str, Any]:
    """Files a report and waits for its verdict; its receipt."""
    body = {**REPORT, "category": category, "location": {"lat": point[0], "lon": point[1]}}
    response = submit(api, photo_of_its_own(rng, *point), body)
    assert response.status_code == 202, response.text
    receipt = response.json()
    wait_for_status(api, receipt["code"], JUDGED, token=receipt["token"])
    return receipt


def _staff_view(api: str, settings, code: str, role: str = "operator",
                agency: str | None = None) -> dict[str, Any]:
    response = requests.get(f"{api}/staff/reports/{code}", timeout=10,
                            headers=bearer(settings, role, agency=agency))
    assert response.status_code == 200, response.text
    return response.json()


def _by_code(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's possible duplicates by code. Tests look only at their own reports: a
    database kept between runs (a real MongoDB) may hold another run's report near the spot."""
    return {d["code"]: d for d in view["possible_duplicates"]}


def test_a_report_of_the_same_category_20_m_away_is_listed_for_the_operator(api, settings):
    rng = random.Random()
    first_at = spot_of_its_own(rng, "padang")
    first = _file(api, rng, first_at)
    second = _file(api, rng, moved_north(first_at, 20))

    listed = _by_code(_staff_view(api, settings, second["code"]))
    assert (listed[first["code"]]["reasons"], listed[first["code"]]["status"]) == (
        ["place"], "forwarded")
    assert 19 <= listed[first["code"]]["distance_m"] <= 21
    # Earlier reports only: the first one does not list the second.
    assert second["code"] not in _by_code(_staff_view(api, settings, first["code"]))
    # Staff-only, and only the city's: an agency does not learn of other reports this way.
    assert "possible_duplicates" not in _staff_view(api, settings, second["code"],
                                                    "agency_admin", "DLH")


def test_another_category_or_500_m_away_is_not_listed(api, settings):
    rng = random.Random()
    first_at = spot_of_its_own(rng, "padang")
    first = _file(api, rng, first_at)
    other_category = _file(api, rng, moved_north(first_at, 20), category="other")
    far = _file(api, rng, moved_north(first_at, 500))
    assert first["code"] not in _by_code(_staff_view(api, settings, other_category["code"]))
    assert first["code"] not in _by_code(_staff_view(api, settings, far["code"]))


def test_a_report_older_than_the_window_is_not_listed(api, settings, db):
    rng = random.Random()
    first_at = spot_of_its_own(rng, "padang")
    first = _file(api, rng, first_at)
    # The state only time makes: the first report filed 73 hours ago.
    filed = db.reports.find_one({"_id": first["id"]})["created_at"]
    db.reports.update_one({"_id": first["id"]},
                          {"$set": {"created_at": filed - timedelta(hours=73)}})
    second = _file(api, rng, moved_north(first_at, 20))
    assert first["code"] not in _by_code(_staff_view(api, settings, second["code"]))


def test_one_click_marks_the_duplicate_and_a_closed_report_is_no_longer_listed(api, settings):
    rng = random.Random()
    first_at = spot_of_its_own(rng, "padang")
    first = _file(api, rng, first_at)
    second = _file(api, rng, moved_north(first_at, 15))
    operator = bearer(settings, "operator")
    # What the console's "mark as duplicate of this" button sends.
    response = act(api, second["code"], "duplicate", operator, {"of": first["code"]})
    assert response.status_code == 200, response.text
    assert _staff_view(api, settings, second["code"])["status"] == "duplicate"
    # A third report there: the original is listed, the report now marked duplicate is not.
    third = _file(api, rng, moved_north(first_at, -10))
    listed = _by_code(_staff_view(api, settings, third["code"]))
    assert first["code"] in listed and second["code"] not in listed
