import json
from datetime import timedelta

import pytest

from aduan.infra.config import Settings
from services.verification.policy import (
    DEFAULT_ACTIONS,
    PolicyError,
    load_policies,
)


def test_every_city_gets_the_defaults_from_settings():
    policies = load_policies(Settings(city_margin_m=250, photo_max_age_hours=12,
                                      claimed_location_max_m=400))
    assert set(policies) == {"padang", "depok", "jambi", "kotamobagu"}
    for city, policy in policies.items():
        assert policy.city == city
        assert policy.margin_m == 250
        assert policy.max_age == timedelta(hours=12)
        assert policy.max_claimed_distance_m == 400
        assert dict(policy.actions) == DEFAULT_ACTIONS
    assert policies["kotamobagu"].timezone == "Asia/Makassar"
    assert policies["padang"].timezone == "Asia/Jakarta"


def test_overrides_apply_to_all_cities_then_per_city():
    overrides = {
        "*": {"checks": {"camera_missing": "flag"}, "max_age_hours": 48},
        "depok": {"checks": {"screenshot": "reject", "camera_missing": "review"},
                  "max_age_hours": 6, "margin_m": 100, "duplicate_max_distance": 1},
        "jambi": {"checks": {"far_from_claimed_location": "off"},
                  "max_claimed_distance_m": 2500, "future_tolerance_minutes": 0},
    }
    policies = load_policies(Settings(verification_policies=json.dumps(overrides)))
    padang, depok, jambi = policies["padang"], policies["depok"], policies["jambi"]
    assert padang.action("camera_missing") == "flag" and padang.max_age == timedelta(hours=48)
    assert padang.action("screenshot") == "review"
    assert depok.action("screenshot") == "reject" and depok.action("camera_missing") == "review"
    assert depok.max_age == timedelta(hours=6) and depok.margin_m == 100
    assert depok.duplicate_max_distance == 1
    assert not jambi.enabled("far_from_claimed_location")
    assert jambi.max_claimed_distance_m == 2500 and jambi.future_tolerance == timedelta(0)
    assert depok.verdict(["screenshot"]) == "rejected"
    assert padang.verdict(["screenshot"]) == "needs_review"
    assert padang.verdict(["camera_missing"]) == "verified"


def test_policies_can_come_from_a_file(tmp_path):
    path = tmp_path / "policies.json"
    path.write_text(json.dumps({"kotamobagu": {"checks": {"stale_photo": "reject"}}}))
    policies = load_policies(Settings(verification_policies=f"@{path}"))
    assert policies["kotamobagu"].action("stale_photo") == "reject"
    assert policies["padang"].action("stale_photo") == "review"


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"bandung": {}}', "unknown cities"),
        ('{"padang": {"checks": {"no_such_check": "reject"}}}', "unknown check"),
        ('{"padang": {"checks": {"stale_photo": "maybe"}}}', "padang"),
        ('{"padang": {"checks": {"corrupt_image": "review"}}}', "always rejects"),
        ('{"padang": {"checks": {"too_many_pixels": "off"}}}', "always rejects"),
        ('{"padang": {"max_age_hours": -1}}', "padang"),
        ('{"padang": {"duplicate_max_distance": 8}}', "padang"),
        ('{"padang": {"max_agee_hours": 3}}', "padang"),
        ('{"padang": ', "not readable JSON"),
        ('["padang"]', "JSON object"),
        ("@/no/such/file.json", "not readable"),
    ],
)
def test_a_bad_policy_fails_at_start_with_a_clear_message(text, problem):
    with pytest.raises(PolicyError, match=problem):
        load_policies(Settings(verification_policies=text))


def test_duplicate_distance_beyond_the_pigeonhole_guarantee_is_refused():
    with pytest.raises(PolicyError, match="duplicate_max_distance"):
        load_policies(Settings(duplicate_max_distance=8))


def test_the_policy_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ADUAN_VERIFICATION_POLICIES", '{"depok": {"max_age_hours": 2}}')
    monkeypatch.setenv("ADUAN_CLAIMED_LOCATION_MAX_M", "750")
    policies = load_policies(Settings.from_env())
    assert policies["depok"].max_age == timedelta(hours=2)
    assert policies["padang"].max_claimed_distance_m == 750
