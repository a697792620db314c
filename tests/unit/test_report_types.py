"""The report types' pure rules (aduan/domain/report_types.py): what a category asks of each
type, where a photo is required, locations, and each type's resolution target."""

from __future__ import annotations

import pytest

from aduan.contracts.catalogue import CategoryIn
from aduan.contracts.reports import ReportIn
from aduan.domain import report_types as rt
from aduan.domain.errors import Invalid
from aduan.infra.catalogue import seed_categories

LOCATED = {"lat": -0.95, "lon": 100.41}
ANSWERS_ONLY = {"types": {"information_request": {"photo": "optional", "location": "optional",
                                                  "resolution_days": 7}}}


def test_a_report_stored_before_types_is_a_complaint():
    assert rt.type_of({}) == "complaint"
    assert rt.type_of({"type": "aspiration"}) == "aspiration"


def test_a_category_without_types_takes_the_defaults():
    assert rt.category_types(None) == rt.DEFAULT_TYPES
    assert rt.category_types({"code": "waste"}) == rt.DEFAULT_TYPES
    assert rt.needs({}, "complaint") == {"photo": "required", "location": "required"}
    assert rt.needs({}, "aspiration") == {"photo": "optional", "location": "optional"}


def test_a_type_the_category_does_not_take_is_refused():
    with pytest.raises(Invalid) as caught:
        rt.needs(ANSWERS_ONLY, "complaint")
    assert caught.value.code == "type_not_accepted"
    assert caught.value.details == {"type": "complaint", "accepted": ["information_request"]}


@pytest.mark.parametrize("channel, required", [
    ("app", True), ("web", True), ("open311", False), ("call_centre", False),
    ("walk_in", False), ("media", False), ("social_media", False), ("sp4n_lapor", False)])
def test_a_required_photo_is_required_only_on_the_residents_own_forms(channel, required):
    assert rt.photo_required({}, "complaint", channel) is required
    assert rt.photo_required({}, "aspiration", channel) is False


def test_a_location_is_required_where_the_type_asks_for_one():
    rt.check_location({}, "aspiration", "web", None)
    rt.check_location({}, "complaint", "call_centre", {"address": "Jl. Sudirman 1"})
    with pytest.raises(Invalid) as caught:
        rt.check_location({}, "complaint", "call_centre", None)
    assert caught.value.code == "location_required"


def test_a_residents_form_sends_a_point_not_an_address_alone():
    rt.check_location({}, "complaint", "app", {**LOCATED, "address": None})
    with pytest.raises(Invalid) as caught:
        rt.check_location({}, "aspiration", "web", {"lat": None, "lon": None, "address": "x"})
    assert caught.value.code == "location_point_required"


def test_a_report_has_a_point_only_with_both_coordinates():
    assert rt.point_of({"location": LOCATED}) == (-0.95, 100.41)
    assert rt.point_of({"location": None}) is None
    assert rt.point_of({}) is None
    assert rt.point_of({"location": {"lat": None, "lon": None, "address": "Pasar Raya"}}) is None


def test_each_type_has_its_resolution_target():
    assert rt.resolution_days({}, "complaint", 10) == 10
    # UU 14/2008 art. 22(7): an information request is answered within 10 working days.
    assert rt.resolution_days({}, "information_request", 3) == 10
    assert rt.resolution_days({}, "aspiration", 10) is None
    assert rt.resolution_days(ANSWERS_ONLY, "information_request", 10) == 7
    considered = {"types": {"aspiration": {"photo": "optional", "location": "optional",
                                           "resolution_days": 30}}}
    assert rt.resolution_days(considered, "aspiration", 10) == 30


def test_only_a_complaints_resolution_needs_evidence_and_an_answer_needs_its_text():
    assert rt.needs_evidence({}) and rt.needs_evidence({"type": "complaint"})
    assert not rt.needs_evidence({"type": "information_request"})
    assert not rt.needs_evidence({"type": "aspiration"})
    assert rt.needs_public_response({"type": "information_request"})
    assert not rt.needs_public_response({})


def test_the_contract_takes_a_type_and_a_location_that_is_a_point_or_an_address():
    base = {"category": "permits", "description": "Berapa lama izin usaha selesai?"}
    assert ReportIn.model_validate(base).type == "complaint"
    assert ReportIn.model_validate(base).location is None
    asked = ReportIn.model_validate({**base, "type": "information_request"})
    assert asked.type == "information_request"
    typed = ReportIn.model_validate({**base, "location": {"address": "Jl. Khatib Sulaiman"}})
    assert typed.location is not None and not typed.location.has_point
    for bad in ({"type": "question"}, {"location": {"lat": -0.95}}, {"location": {}}):
        with pytest.raises(ValueError):
            ReportIn.model_validate({**base, **bad})


def test_the_catalogue_contract_validates_types():
    category = {"code": "info", "name_id": "Informasi", "name_en": "Information"}
    CategoryIn.model_validate({**category, **ANSWERS_ONLY})
    for bad in ({"types": {}}, {"types": {"question": {"photo": "optional",
                                                        "location": "optional"}}},
                {"types": {"complaint": {"photo": "sometimes", "location": "optional"}}},
                {"types": {"complaint": {"photo": "optional"}}}):
        with pytest.raises(ValueError):
            CategoryIn.model_validate({**category, **bad})


def test_conduct_and_permits_take_a_complaint_without_a_photo_or_a_place():
    for category in seed_categories("padang"):
        if category["code"] in ("civil_servant", "permits"):
            assert rt.needs(category, "complaint") == {"photo": "optional",
                                                       "location": "optional"}
        if category["code"] == "road":
            assert rt.needs(category, "complaint")["photo"] == "required"
