"""The report types' pure rules (aduan/domain/report_types.py): what a category asks of each
type, where a photo is required, locations, and each type's resolution target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aduan.contracts.catalogue import CategoryIn
from aduan.contracts.reports import ReportIn
from aduan.domain import lifecycle, status_names
from aduan.domain import report_types as rt
from aduan.domain.errors import Invalid
from aduan.infra.catalogue import seed_categories
from services.notification import privacy, templates

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


def test_a_residents_form_sends_a_point_where_the_place_is_required():
    rt.check_location({}, "complaint", "app", {**LOCATED, "address": None})
    told = {"lat": None, "lon": None, "address": "Jl. Sudirman"}
    with pytest.raises(Invalid) as caught:
        rt.check_location({}, "complaint", "web", told)
    assert caught.value.code == "location_point_required"
    # A suggestion's place is optional: an address alone is kept.
    rt.check_location({}, "aspiration", "web", told)


def test_a_report_has_a_point_only_with_both_coordinates():
    assert rt.point_of({"location": LOCATED}) == (-0.95, 100.41)
    assert rt.point_of({"location": None}) is None
    assert rt.point_of({}) is None
    assert rt.point_of({"location": {"lat": None, "lon": None, "address": "Pasar Raya"}}) is None


def test_each_type_has_its_resolution_target():
    sla = {"sla": {"resolution_days": 15}}
    assert rt.sla_category(sla, "complaint") is sla
    # UU 14/2008 art. 22(7): an information request is answered within 10 working days.
    assert rt.sla_category(sla, "information_request") == {"sla": {"resolution_days": 10}}
    assert rt.sla_category(None, "information_request") == {"sla": {"resolution_days": 10}}
    assert rt.sla_category({**ANSWERS_ONLY, **sla}, "information_request")["sla"] == {
        "resolution_days": 7}
    assert rt.has_resolution_target(sla, "complaint")
    assert rt.has_resolution_target(sla, "information_request")
    assert not rt.has_resolution_target(sla, "aspiration")
    considered = {"types": {"aspiration": {"photo": "optional", "location": "optional",
                                           "resolution_days": 30}}}
    assert rt.has_resolution_target(considered, "aspiration")
    assert rt.type_resolution_days(considered, "aspiration") == 30


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


class SlaDays:
    """Deadlines in plain days read from the category's `sla`, as aduan.infra.deadlines does."""

    def forward_due(self, city, category, start):
        return start + timedelta(days=3)

    def follow_up_due(self, city, category, start):
        return start + timedelta(days=5)

    def auto_close_at(self, city, start):
        return start + timedelta(days=10)

    def resolution_due(self, city, category, start):
        return start + timedelta(days=((category or {}).get("sla") or {}).get(
            "resolution_days", 20))


NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
DLH = {"code": "DLH", "name_id": "Dinas Lingkungan Hidup", "kind": "opd"}
PERMITS = {"code": "permits", "sla": {"resolution_days": 15}}


def verified(report_type: str | None) -> dict:
    report = {"_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang",
              "category": "permits", "status": "verified", "created_at": NOW, "agencies": [],
              "photos": []}
    return report if report_type is None else {**report, "type": report_type}


@pytest.mark.parametrize("report_type, days", [
    (None, 15), ("complaint", 15), ("information_request", 10), ("aspiration", None)])
def test_forwarding_sets_the_resolution_target_of_the_reports_type(report_type, days):
    plan = lifecycle.plan_send(verified(report_type), [DLH], NOW, action="route", note=None,
                               deadlines=SlaDays(), category=PERMITS)
    [mine] = plan.set["agencies"]
    assert mine["resolution_due_at"] == (NOW + timedelta(days=days) if days else None)
    assert mine["due_at"] == NOW + timedelta(days=5)  # the follow-up clock is every type's


def in_progress(report_type: str) -> dict:
    plan = lifecycle.plan_send(verified(report_type), [DLH], NOW, action="route", note=None,
                               deadlines=SlaDays(), category=PERMITS)
    return {**verified(report_type), "status": "in_progress",
            "agencies": [{**plan.set["agencies"][0], "status": "in_progress"}]}


def test_an_information_request_is_resolved_by_its_answer():
    report = in_progress("information_request")
    with pytest.raises(Invalid) as caught:
        lifecycle.plan_agency(report, NOW, "resolve", "DLH", "dijawab", deadlines=SlaDays(),
                              category=PERMITS)
    assert caught.value.code == "public_response_required"
    plan = lifecycle.plan_agency(report, NOW, "resolve", "DLH", "dijawab", deadlines=SlaDays(),
                                 category=PERMITS, public_response="Izin selesai 5 hari kerja.")
    assert plan.target == "resolved"
    assert plan.details["public_response"] == "Izin selesai 5 hari kerja."


def test_a_complaint_or_an_aspiration_is_resolved_without_an_answer_text():
    for report_type in ("complaint", "aspiration"):
        plan = lifecycle.plan_agency(in_progress(report_type), NOW, "resolve", "DLH", "selesai",
                                     deadlines=SlaDays(), category=PERMITS)
        assert plan.target == "resolved"


def test_an_answered_information_request_is_called_answered_in_both_languages():
    assert status_names.label("id", "resolved", "information_request") == "Dijawab"
    assert status_names.label("en", "resolved", "information_request") == "Answered"
    assert status_names.label("id", "resolved", "aspiration") == "Ditindaklanjuti"
    assert status_names.label("id", "resolved", "complaint") == "Diselesaikan"
    assert status_names.label("en", "forwarded", "information_request") == "Forwarded"
    assert status_names.status_name("en", "resolved", "information_request") == "answered"
    assert status_names.status_name("id", "resolved") == "selesai ditangani"
    assert "menjawab" in status_names.explanation("id", "resolved", "information_request")
    assert status_names.type_name("en", "aspiration") == "Aspiration"
    served = status_names.console_names()
    assert served["types"]["information_request"] == {"id": "Permintaan informasi",
                                                      "en": "Information request"}
    assert served["type_statuses"]["information_request"]["resolved"]["en"] == "Answered"


def test_the_reporter_hears_that_their_request_was_answered():
    message = templates.render_status_message("id", "PDG-2026-7KQ-4M9-X2A", "resolved",
                                              "https://aduan.example/#/track/X", None,
                                              "Izin selesai 5 hari kerja.",
                                              report_type="information_request")
    assert "sekarang: dijawab" in message.text and "Izin selesai" in message.text
    sms = templates.render_status_sms("en", "PDG-2026-7KQ-4M9-X2A", "resolved", "L", None,
                                      "information_request")
    assert "is answered" in sms


def test_webhooks_carry_the_report_type():
    report = {"code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "category": "permits",
              "status": "forwarded", "privacy": "public", "created_at": NOW}
    assert privacy.webhook_payload("d1", "report.forwarded", {}, report, "city")[
        "report"]["type"] == "complaint"
    asked = {**report, "type": "information_request"}
    assert privacy.webhook_payload("d1", "report.forwarded", {}, asked, "agency")[
        "report"]["type"] == "information_request"
