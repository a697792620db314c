"""Possible duplicates by place and photo: the pure part (aduan/domain/nearby.py)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from aduan.domain.nearby import (
    METRES_PER_DEGREE,
    PERIOD_DAYS,
    Nearness,
    bounding_box,
    distance_m,
    near_by_place,
    place_key,
    place_keys_around,
    possible_duplicates,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HERE = (-0.9726, 100.4057)
NEARNESS = Nearness(50.0, timedelta(hours=72))


def _north(metres: float, east: float = 0.0) -> dict[str, float]:
    lat = HERE[0] + metres / METRES_PER_DEGREE
    lon = HERE[1] + east / (METRES_PER_DEGREE * math.cos(math.radians(HERE[0])))
    return {"lat": lat, "lon": lon}


def _report(rid: str, *, north: float = 0.0, east: float = 0.0, ago_h: float = 1.0,
            category: str = "waste", status: str = "forwarded", city: str = "padang"
            ) -> dict:
    return {"_id": rid, "code": f"PDG-{rid}", "city": city, "category": category,
            "status": status, "created_at": NOW - timedelta(hours=ago_h),
            "location": _north(north, east)}


NEW = {**_report("new", ago_h=0), "status": "verifying"}


def test_distance_is_metres_on_the_ground():
    assert distance_m(*HERE, *HERE) == 0
    north = _north(20)
    assert distance_m(*HERE, north["lat"], north["lon"]) == pytest.approx(20, abs=0.01)
    east = _north(0, 30)
    assert distance_m(*HERE, east["lat"], east["lon"]) == pytest.approx(30, abs=0.01)


@pytest.mark.parametrize("lat", [-0.97, -6.4, 60.0])
def test_the_box_holds_every_point_within_the_radius(lat):
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, 100.0, 50)
    for bearing in range(0, 360, 15):
        step = math.radians(bearing)
        dlat = 49.9 * math.cos(step) / METRES_PER_DEGREE
        dlon = 49.9 * math.sin(step) / (METRES_PER_DEGREE * math.cos(math.radians(lat + dlat)))
        assert min_lat <= lat + dlat <= max_lat and min_lon <= 100.0 + dlon <= max_lon
    # And not much more: ~50 m each way.
    assert (max_lat - min_lat) * METRES_PER_DEGREE == pytest.approx(100, rel=0.01)


def test_an_earlier_open_report_of_the_category_within_radius_and_window_is_listed():
    near = _report("near", north=20)
    found = near_by_place(NEW, [near], NEARNESS)
    assert found == [{"code": "PDG-near", "report_id": "near", "distance_m": 20.0,
                      "reasons": ["place"]}]


@pytest.mark.parametrize("other", [
    _report("far", north=60),
    _report("diagonal", north=36, east=36),  # inside the box, 51 m away
    _report("category", north=10, category="road"),
    _report("old", north=10, ago_h=72.1),
    _report("later", north=10, ago_h=-0.5),
    _report("city", north=10, city="depok"),
    *[_report(status, north=10, status=status)
      for status in ("closed", "archived", "duplicate", "rejected")],
])
def test_what_is_not_listed(other):
    assert near_by_place(NEW, [other], NEARNESS) == []


def test_the_report_itself_is_not_listed_and_the_nearest_comes_first():
    found = near_by_place(NEW, [NEW, _report("b", north=30), _report("a", north=-10),
                                _report("c", north=30, ago_h=5)], NEARNESS)
    assert [f["report_id"] for f in found] == ["a", "c", "b"]  # 10 m, then 30 m oldest first


def test_a_photo_match_comes_first_and_a_report_found_both_ways_once():
    photo = {"report_id": "b", "code": "PDG-b", "distance": 5}
    place = near_by_place(NEW, [_report("a", north=10), _report("b", north=30)], NEARNESS)
    listed = possible_duplicates(NEW, place, photo, _report("b", north=30))
    assert [(e["report_id"], e["reasons"]) for e in listed] == [
        ("b", ["photo", "place"]), ("a", ["place"])]
    assert listed[0]["photo_distance"] == 5 and listed[0]["distance_m"] == 30.0


def test_a_photo_match_far_away_is_listed_with_its_distance_unless_closed():
    photo = {"report_id": "x", "code": "PDG-x", "distance": 2}
    far = _report("x", north=2000, ago_h=500)
    assert possible_duplicates(NEW, [], photo, far)[0]["distance_m"] == 2000.0
    assert possible_duplicates(NEW, [], photo, {**far, "status": "duplicate"}) == []
    assert possible_duplicates(NEW, [], photo, None) == []  # gone since
    assert possible_duplicates(NEW, [], None, None) == []


def test_a_zero_radius_turns_the_look_up_off():
    assert not Nearness(0, timedelta(hours=72)).enabled
    assert NEARNESS.enabled


NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
WINDOW_START = NOW - timedelta(hours=72)


@pytest.mark.parametrize("lat, lon", [HERE, (-6.3743, 106.8230), (0.0004, 124.3314)])
def test_the_cells_around_a_place_hold_the_key_of_every_report_within_the_radius(lat, lon):
    rng = random.Random(7)
    around = set(place_keys_around("waste", lat, lon, 50, WINDOW_START, NOW))
    assert place_key("waste", lat, lon, NOW) in around and len(around) <= 9 * 4
    for _ in range(2000):
        metres, bearing = 50 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        dlat = metres * math.cos(bearing) / METRES_PER_DEGREE
        dlon = metres * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
        made = WINDOW_START + (NOW - WINDOW_START) * rng.random()
        assert place_key("waste", lat + dlat, lon + dlon, made) in around
    assert not around & set(place_keys_around("road", lat, lon, 50, WINDOW_START, NOW))


def test_reports_older_than_the_window_s_periods_are_not_candidates():
    around = set(place_keys_around("waste", *HERE, 50, WINDOW_START, NOW))
    long_ago = WINDOW_START - timedelta(days=PERIOD_DAYS + 1)
    assert place_key("waste", *HERE, long_ago) not in around
    assert place_key("waste", *HERE, NOW) in around


def test_a_radius_too_wide_for_the_grid_looks_nothing_up():
    assert len(place_keys_around("waste", *HERE, 1000, NOW, NOW)) == 19 * 19
    assert place_keys_around("waste", *HERE, 5000, NOW, NOW) == []
