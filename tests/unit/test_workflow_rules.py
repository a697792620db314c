import itertools

import pytest

from aduan.workflow import TRANSITIONS, can_transition, event_key


def test_the_happy_path_is_allowed_step_by_step():
    path = ["submitted", "verifying", "verified", "forwarded", "accepted", "in_progress",
            "resolved", "closed"]
    for current, target in itertools.pairwise(path):
        assert can_transition(current, target), (current, target)


@pytest.mark.parametrize(
    "current, target",
    [("submitted", "forwarded"), ("rejected", "forwarded"), ("closed", "reopened"),
     ("verifying", "forwarded"), ("forwarded", "resolved"), ("unknown", "verified")],
)
def test_skipping_or_undoing_steps_is_refused(current, target):
    assert not can_transition(current, target)


def test_every_target_is_a_known_status():
    for targets in TRANSITIONS.values():
        assert targets <= set(TRANSITIONS)


def test_event_keys():
    assert event_key("verifying") is None
    assert event_key("verified") == "report.verified"
    assert event_key("forwarded") == "report.forwarded"
    assert event_key("accepted") == "report.status_changed"
