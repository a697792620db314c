import pytest

from aduan.domain.lifecycle import ASSIGNMENT_TRANSITIONS, STATUSES
from aduan.domain.stages import (
    DEFAULT_VIEW,
    KINIKO,
    KINIKO_STAGES,
    LAPOR,
    PRESETS,
    SIGAP,
    SIGAP_STAGES,
    kiniko_stage,
    kiniko_stage_for_agency,
    sigap_stage,
    stage_view,
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


# ---- each city's own view (aduan/data/cities.json `stages`) ----------------------------------

def test_each_city_shows_its_own_view():
    from aduan.infra.stage_views import city_stage_view
    assert city_stage_view("padang") is KINIKO
    assert city_stage_view("depok") is SIGAP
    assert city_stage_view("depok").codes == ("verified", "in_process", "done")
    assert city_stage_view("jambi").name == city_stage_view("kotamobagu").name == "lapor"


@pytest.mark.parametrize("view", sorted(PRESETS))
def test_every_preset_projects_each_status_to_one_stage_at_most(view):
    checked = stage_view(view)
    assert checked is PRESETS[view]
    placed = [status for stage in checked.stages for status in stage.statuses]
    assert len(placed) == len(set(placed)) and set(placed) <= set(STATUSES)
    for stage in checked.stages:
        assert stage.id and stage.en


def test_a_city_may_define_a_view_of_its_own():
    own = stage_view([
        {"code": "new", "id": "Baru", "en": "New", "statuses": ["submitted", "verified"]},
        {"code": "open", "id": "Ditangani", "en": "Being handled",
         "statuses": ["forwarded", "accepted", "in_progress"]},
        {"code": "done", "id": "Selesai", "en": "Done", "statuses": ["resolved", "closed"]},
    ], name="jambi")
    assert own.name == "jambi" and own.codes == ("new", "open", "done")
    assert stages({"status": "accepted"}, own)["city"] == "open"
    assert own.stage({"status": "rejected"}) is None
    report = {"status": "closed", "agencies": [{"code": "DLH", "status": "resolved"},
                                               {"code": "PUPR", "status": "forwarded"}]}
    assert own.stage_for_agency(report, "DLH") == "done"
    assert own.stage_for_agency(report, "PUPR") == "open"
    assert own.names()[-1]["code"] == "none"


@pytest.mark.parametrize("config", [
    "unknown-view",
    [],
    [{"code": "a", "id": "A", "en": "A", "statuses": ["no_such_status"]}],
    [{"code": "a", "id": "A", "en": "A", "statuses": ["verified"]},
     {"code": "b", "id": "B", "en": "B", "statuses": ["verified"]}],  # a status twice
    [{"code": "a", "id": "A", "en": "A", "statuses": ["verified"]},
     {"code": "a", "id": "A", "en": "A", "statuses": ["forwarded"]}],  # a code twice
    [{"code": "a", "id": "A", "statuses": ["verified"]}],  # no English name
    [{"code": "none", "id": "A", "en": "A", "statuses": ["verified"]}],  # the reserved code
])
def test_a_view_that_cannot_project_reports_one_way_is_refused(config):
    with pytest.raises(ValueError):
        stage_view(config)


def test_the_default_view_is_sp4n_lapor_s():
    assert stage_view(None) is DEFAULT_VIEW is LAPOR
    assert [LAPOR.stage({"status": s}) for s in ("needs_review", "forwarded", "in_progress",
                                                 "referred", "archived")] == [
        "not_verified", "not_followed_up", "in_process", "done", None]
