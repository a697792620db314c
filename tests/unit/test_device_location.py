"""The phone's location reading as a second proof (aduan/domain/device_location.py) and its
place in a city's verification policy (services/verification/checks.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from photo_factory import INSIDE, moved_north

from aduan.domain.device_location import (
    FAR_FROM_CLAIMED,
    IMPRECISE,
    MISMATCH,
    DeviceLimits,
    DeviceReading,
    device_reasons,
)
from aduan.infra.config import Settings
from services.verification.checks import device_location_reasons
from services.verification.policy import DEFAULT_ACTIONS, Policy, PolicyError, load_policies

PADANG = INSIDE["padang"]
LIMITS = DeviceLimits(tolerance_m=100, claimed_m=1000, max_accuracy_m=500)


def reading(point: tuple[float, float], accuracy_m: float = 20) -> DeviceReading:
    return DeviceReading(point[0], point[1], accuracy_m)


def test_no_reading_proves_nothing_and_costs_nothing():
    assert device_reasons(None, PADANG, PADANG, LIMITS) == []
    assert DeviceReading.of(None) is None and DeviceReading.of({"lat": 1.0}) is None


def test_a_reading_where_the_photo_was_taken_agrees():
    assert device_reasons(reading(moved_north(PADANG, 50)), PADANG, PADANG, LIMITS) == []


def test_the_accuracy_and_the_tolerance_are_both_allowed_for():
    photo = moved_north(PADANG, 300)
    assert device_reasons(reading(PADANG, accuracy_m=150), photo, None, LIMITS) == [MISMATCH]
    assert device_reasons(reading(PADANG, accuracy_m=250), photo, None, LIMITS) == []


def test_a_photo_far_from_the_phone_is_a_mismatch():
    photo = moved_north(PADANG, 5000)
    assert device_reasons(reading(PADANG), photo, PADANG, LIMITS) == [MISMATCH]


def test_a_report_point_far_from_the_phone_is_said_so():
    claimed = moved_north(PADANG, 3000)
    assert device_reasons(reading(PADANG), PADANG, claimed, LIMITS) == [FAR_FROM_CLAIMED]
    # A point picked on the map near where the phone was is fine (within the claimed limit).
    assert device_reasons(reading(PADANG), PADANG, moved_north(PADANG, 900), LIMITS) == []


def test_a_photo_without_a_position_is_compared_with_nothing_but_the_report():
    assert device_reasons(reading(PADANG), None, PADANG, LIMITS) == []
    assert device_reasons(reading(PADANG), None, moved_north(PADANG, 3000), LIMITS) == [
        FAR_FROM_CLAIMED]


def test_a_vague_reading_is_only_said_to_be_vague():
    far = moved_north(PADANG, 50_000)
    assert device_reasons(reading(PADANG, accuracy_m=2000), far, far, LIMITS) == [IMPRECISE]


def test_the_city_policy_decides_what_each_reason_does():
    policy = Policy(city="padang")
    assert {DEFAULT_ACTIONS[r] for r in (MISMATCH, FAR_FROM_CLAIMED)} == {"review"}
    assert DEFAULT_ACTIONS[IMPRECISE] == "flag"
    stored = {"lat": PADANG[0], "lon": PADANG[1], "accuracy_m": 15.0, "taken_at": None}
    photo = moved_north(PADANG, 2000)
    metadata = {"lat": photo[0], "lon": photo[1]}
    assert device_location_reasons(policy, stored, metadata, PADANG) == [MISMATCH]
    assert policy.verdict([MISMATCH]) == "needs_review"
    off = replace(policy, actions={**policy.actions, MISMATCH: "off"})
    assert device_location_reasons(off, stored, metadata, PADANG) == []
    loose = replace(policy, device_tolerance_m=5000)
    assert device_location_reasons(loose, stored, metadata, PADANG) == []
    # A photo whose GPS says (0, 0) has no position to compare.
    assert device_location_reasons(policy, stored, {"lat": 0, "lon": 0}, PADANG) == []


def test_a_city_sets_its_own_limits_for_the_reading():
    overrides = {"depok": {"checks": {MISMATCH: "reject"}, "device_tolerance_m": 250,
                           "device_max_accuracy_m": 80}}
    policies = load_policies(Settings(verification_policies=json.dumps(overrides)))
    depok, padang = policies["depok"], policies["padang"]
    assert (depok.device_tolerance_m, depok.device_max_accuracy_m) == (250, 80)
    assert depok.verdict([MISMATCH]) == "rejected" and padang.verdict([MISMATCH]) == (
        "needs_review")
    assert depok.as_doc()["device_tolerance_m"] == 250
    with pytest.raises(PolicyError):
        load_policies(Settings(verification_policies=json.dumps(
            {"depok": {"device_max_accuracy_m": 0}})))
