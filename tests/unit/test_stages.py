import pytest

from aduan.domain.lifecycle import ASSIGNMENT_TRANSITIONS, STATUSES
from aduan.domain.stages import (
    KINIKO_STAGES,
    SIGAP_STAGES,
    kiniko_stage,
    kiniko_stage_for_agency,
    sigap_stage,
    stages,
)

EXPECTED = {  # status: (Kiniko stage, Sigap stage)
    "submitted": ("not_forwarded", None),
    "verifying": ("not_forwarded", None),
    "needs_review": ("not_forwarded", None),
    "verified": ("not_forwarded", "verified"),
    "postponed": ("not_forwarded", "verified"),
    "forwarded": ("not_accepted", "in_process"),
    "accepted": ("accepted", "in_process"),
    "in_progress": ("accepted", "in_process"),
    "reopened": ("accepted", "in_process"),
    "resolved": ("done", "done"),
    "closed": ("done", "done"),
    "referred": ("done", "done"),
    "rejected": (None, None),
    "archived": (None, None),
    "duplicate": (None, None),
}


def test_every_status_of_the_state_machine_has_an_expectation():
    assert set(EXPECTED) == set(STATUSES)


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_each_status_projects_to_its_stages(status):
    kiniko, sigap = EXPECTED[status]
    report = {"status": status}
    assert kiniko_stage(report) == kiniko
    assert sigap_stage(report) == sigap
    assert stages(report) == {"kiniko": kiniko, "sigap": sigap}
    assert kiniko is None or kiniko in KINIKO_STAGES
    assert sigap is None or sigap in SIGAP_STAGES


@pytest.mark.parametrize("sub_status, stage", [
    ("forwarded", "not_accepted"), ("accepted", "accepted"), ("in_progress", "accepted"),
    ("resolved", "done"), ("handed_back", None), ("withdrawn", None),
])
def test_an_agency_sees_its_own_assignment_stage(sub_status, stage):
    assert sub_status in ASSIGNMENT_TRANSITIONS
    report = {"status": "in_progress", "agencies": [
        {"code": "PUPR", "status": sub_status}, {"code": "DLH", "status": "in_progress"}]}
    assert kiniko_stage_for_agency(report, "PUPR") == stage


def test_the_latest_assignment_of_an_agency_counts_and_others_see_nothing():
    report = {"status": "forwarded", "agencies": [
        {"code": "DLH", "status": "handed_back"}, {"code": "DLH", "status": "forwarded"}]}
    assert kiniko_stage_for_agency(report, "DLH") == "not_accepted"
    assert kiniko_stage_for_agency(report, "PUPR") is None
    closed = {"status": "closed", "agencies": [{"code": "DLH", "status": "resolved"}]}
    assert kiniko_stage_for_agency(closed, "DLH") == "done"


def test_stage_names_exist_in_both_languages():
    for names in (*KINIKO_STAGES.values(), *SIGAP_STAGES.values()):
        assert set(names) == {"id", "en"} and all(names.values())
