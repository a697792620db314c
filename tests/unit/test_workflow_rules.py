import itertools
from datetime import UTC, datetime

import pytest

from aduan.domain.lifecycle import (
    TRANSITIONS,
    Actor,
    can_move_assignment,
    can_transition,
    event_key,
    overall_status,
)
from aduan.infra.reports import after_image


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


def test_every_pair_outside_the_table_is_refused_before_any_write():
    from aduan.domain.errors import Conflict
    from aduan.domain.lifecycle import Plan
    from aduan.infra.reports import Reports

    report = {"_id": "r", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang"}
    actor = Actor(kind="staff", id="u", role="operator")
    now = datetime.now(UTC)
    for current in TRANSITIONS:
        for target in set(TRANSITIONS) - TRANSITIONS[current]:
            # No database: an illegal pair must be refused before the update is even built.
            with pytest.raises(Conflict):
                Reports(None, None).write(  # type: ignore[arg-type]
                    {**report, "status": current}, Plan("verify", target), actor, now, None)


def test_terminal_statuses():
    assert {s for s, targets in TRANSITIONS.items() if not targets} == {
        "closed", "archived", "duplicate"}
    # A rejection stands unless an operator overrides it.
    assert TRANSITIONS["rejected"] == frozenset({"verified"})


@pytest.mark.parametrize("statuses, expected", [
    (["forwarded"], "forwarded"),
    (["forwarded", "accepted"], "accepted"),
    (["accepted", "in_progress"], "in_progress"),
    (["resolved", "forwarded"], "in_progress"),
    (["resolved", "resolved"], "resolved"),
    (["resolved", "handed_back"], "resolved"),
    (["handed_back", "withdrawn"], "verified"),
    ([], "verified"),
    (["withdrawn", "forwarded"], "forwarded"),
])
def test_the_report_status_follows_its_agencies(statuses, expected):
    assert overall_status([{"code": str(i), "status": s} for i, s in enumerate(statuses)]) == (
        expected)


def test_assignment_moves():
    assert can_move_assignment("forwarded", "accepted")
    assert can_move_assignment("in_progress", "resolved")
    assert not can_move_assignment("forwarded", "resolved")
    assert not can_move_assignment("handed_back", "accepted")
    assert not can_move_assignment("resolved", "in_progress")


def test_the_after_image_applies_set_push_and_inc_as_mongodb_does():
    at = datetime(2026, 11, 23, 6, 0, 0, 123456, tzinfo=UTC)
    report = {"_id": "r", "status": "verifying", "verification": {"verdict": None, "x": 1},
              "history": [{"to": "submitted"}], "photos": ()}
    after = after_image(report, {
        "$set": {"status": "verified", "verification.verdict": "verified", "due": at,
                 "new.deep": (1, 2)},
        "$push": {"history": {"$each": [{"to": "verifying"}, {"to": "verified", "at": at}]},
                  "outbox": {"id": 1}},
        "$inc": {"version": 1},
    })
    assert after == {
        "_id": "r", "status": "verified", "verification": {"verdict": "verified", "x": 1},
        "history": [{"to": "submitted"}, {"to": "verifying"},
                    {"to": "verified", "at": at.replace(microsecond=123000)}],
        "photos": (), "outbox": [{"id": 1}], "version": 1,
        "due": at.replace(microsecond=123000), "new": {"deep": [1, 2]},
    }
    assert report["history"] == [{"to": "submitted"}]  # the read document is left as it was


@pytest.mark.parametrize("update", [
    {"$unset": {"x": ""}},
    {"$set": {"agencies.0.status": "accepted"}},
    {"$set": {"status.inner": 1}},
    {"$push": {"history": {"$each": [], "$slice": -5}}},
])
def test_the_after_image_refuses_shapes_it_does_not_reproduce(update):
    with pytest.raises(ValueError):
        after_image({"_id": "r", "status": "verified"}, update)
