"""The bodies the workflow actions accept (aduan/contracts/actions.py) agree with the action
table (aduan/domain/lifecycle.py): a client drawing a form from the workflow view's `actions`
asks for exactly what the endpoint then requires."""

from __future__ import annotations

import pytest

from aduan.contracts.actions import MODELS
from aduan.domain.lifecycle import ACTIONS, AGENCY, OPERATOR, REPORTER, STAFF

HTTP_ACTIONS = sorted(name for name, action in ACTIONS.items()
                      if action.by in (OPERATOR, AGENCY, STAFF, REPORTER) and name != "submit")


def test_every_action_a_person_takes_has_a_body_and_no_other() -> None:
    assert sorted(MODELS) == HTTP_ACTIONS


@pytest.mark.parametrize("name", HTTP_ACTIONS)
def test_a_required_note_is_required_by_the_body(name: str) -> None:
    fields = MODELS[name].model_fields
    expected = ACTIONS[name].note
    if expected == "none":
        assert "note" not in fields
    else:
        assert fields["note"].is_required() == (expected == "required")


@pytest.mark.parametrize("name", HTTP_ACTIONS)
def test_the_fields_an_action_takes_are_in_its_body(name: str) -> None:
    fields = MODELS[name].model_fields
    for field in ACTIONS[name].inputs:
        if field != "photos":  # evidence photos come as multipart files, beside the body
            assert field in fields, (name, field)


def test_every_side_effect_an_action_names_is_one_the_edges_know() -> None:
    from aduan.domain.lifecycle import EFFECTS

    named = {effect for action in ACTIONS.values() for effect in action.effects}
    assert named == set(EFFECTS)
