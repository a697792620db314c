"""Open311 mapping, formats and the GET requests rules: pure logic, no services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from aduan.domain.visibility import PUBLIC_STATUSES
from aduan.infra.catalogue import cities
from aduan.web.errors import ApiError
from gateway.open311 import mapping, queries, reads
from gateway.open311.formats import to_xml

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_a_jurisdiction_is_a_city_key_or_its_kemendagri_code():
    assert mapping.resolve_city("padang", cities()) == "padang"
    assert mapping.resolve_city("71.74", cities()) == "kotamobagu"
    assert mapping.resolve_city("13.71", cities()) == "padang"
    assert mapping.resolve_city("jakarta", cities()) is None
    assert mapping.resolve_city("", cities()) is None


def test_datetimes_carry_the_city_offset():
    moment = datetime(2026, 11, 23, 3, 0, 5, 123456, tzinfo=UTC)
    assert mapping.local_iso(moment, "Asia/Jakarta") == "2026-11-23T10:00:05+07:00"
    assert mapping.local_iso(moment, "Asia/Makassar") == "2026-11-23T11:00:05+08:00"
    assert mapping.local_iso(moment.replace(tzinfo=None), "Asia/Jakarta") \
        == "2026-11-23T10:00:05+07:00"
    assert mapping.local_iso(None, "Asia/Jakarta") is None


def test_open_and_closed_cover_every_public_status():
    assert mapping.open_or_closed("forwarded") == "open"
    assert mapping.open_or_closed("reopened") == "open"
    for done in ("resolved", "closed", "referred", "rejected"):
        assert mapping.open_or_closed(done) == "closed"
    closed = mapping.statuses_for({"closed"}, PUBLIC_STATUSES)
    opened = mapping.statuses_for({"open"}, PUBLIC_STATUSES)
    assert set(closed) == {"resolved", "closed", "referred"}
    assert set(closed) | set(opened) == set(PUBLIC_STATUSES) and not set(closed) & set(opened)


@pytest.mark.parametrize("status", ["submitted", "verifying", "needs_review", "verified",
                                    "postponed", "forwarded", "accepted", "in_progress",
                                    "resolved", "closed", "reopened", "referred", "rejected",
                                    "archived", "duplicate"])
def test_every_status_has_a_note_in_both_languages(status):
    notes = {mapping.status_note(status, language) for language in ("id", "en")}
    assert len(notes) == 2 and status not in notes


def test_a_service_names_its_agencies_in_the_chosen_language():
    agencies = {"DLH": {"code": "DLH", "name_id": "Dinas Lingkungan Hidup",
                        "name_en": "Environment Agency"}}
    category = {"code": "waste", "name_id": "Sampah", "name_en": "Waste",
                "agencies": ["DLH", "@kecamatan"]}
    service = mapping.service(category, agencies, "id")
    assert service["service_name"] == "Sampah" and service["metadata"] is True  # the type
    assert service["group"] == "Dinas Lingkungan Hidup, Kantor Camat sesuai lokasi"
    english = mapping.service(category, agencies, "en")
    assert english["service_name"] == "Waste"
    assert english["group"].startswith("Environment Agency")
    referred = mapping.service({"code": "water", "name_id": "Air", "refer_to": "PDAM"},
                               {"PDAM": {"code": "PDAM", "name_id": "Perumda Air Minum"}}, "id")
    assert referred["group"] == "Perumda Air Minum"


def test_a_service_definition_offers_the_types_its_category_accepts():
    waste = mapping.service_definition({"code": "waste"}, "id")
    [attribute] = waste["attributes"]
    assert (attribute["code"], attribute["datatype"], attribute["required"]) \
        == ("type", "singlevaluelist", False)
    assert attribute["values"] == [{"key": "complaint", "name": "Pengaduan"},
                                   {"key": "aspiration", "name": "Aspirasi"},
                                   {"key": "information_request",
                                    "name": "Permintaan informasi"}]
    asks = {"code": "permits", "types": {"information_request": {"photo": "optional",
                                                                 "location": "optional"}}}
    [attribute] = mapping.service_definition(asks, "en")["attributes"]
    assert attribute["required"] is True  # a complaint, the default, is not one of them
    assert attribute["values"] == [{"key": "information_request",
                                    "name": "Information request"}]


def test_a_request_without_a_point_has_no_lat_and_long():
    for location in (None, {"address": "Kantor Walikota"}):
        row = mapping.request_row(_row(location=location), None, {}, "Asia/Jakarta", "id")
        assert (row["lat"], row["long"]) == (None, None)
        assert row["address"] == (location or {}).get("address")


def _row(**changes):
    """A row of intake's public list with detail=full, as the gateway receives it."""
    created = (NOW - timedelta(days=2)).isoformat()
    return {"code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "category": "waste",
            "description": "Sampah menumpuk", "status": "forwarded", "privacy": "anonymous",
            "channel": "app", "created_at": created, "updated_at": created,
            "location": {"lat": -0.97, "lon": 100.4, "address": "Jl. A"}, "kecamatan": None,
            "agencies": ["DLH"], "expected_at": (NOW + timedelta(days=3)).isoformat(),
            "photos": [{"url": "http://gw/api/v1/reports/PDG-2026-7KQ-4M9-X2A/photos/2",
                        "thumbnail_url": "http://gw/t"}], **changes}


def test_a_request_row_has_every_field():
    agencies = {"DLH": {"code": "DLH", "name_id": "Dinas Lingkungan Hidup"}}
    row = mapping.request_row(_row(), {"code": "waste", "name_id": "Sampah"}, agencies,
                              "Asia/Jakarta", "id")
    fixture_fields = ["service_request_id", "status", "status_notes", "service_name",
                      "service_code", "description", "agency_responsible", "service_notice",
                      "requested_datetime", "updated_datetime", "expected_datetime", "address",
                      "address_id", "zipcode", "lat", "long", "media_url"]
    assert list(row) == fixture_fields
    assert row["status"] == "open" and row["agency_responsible"] == "Dinas Lingkungan Hidup"
    assert row["expected_datetime"] == "2026-11-26T10:00:00+07:00"
    assert row["requested_datetime"] == "2026-11-21T10:00:00+07:00"
    assert row["long"] == 100.4 and row["address"] == "Jl. A"
    assert row["media_url"] == "http://gw/api/v1/reports/PDG-2026-7KQ-4M9-X2A/photos/2"


def test_a_request_without_photo_deadline_or_known_agency():
    row = mapping.request_row(_row(photos=[], expected_at=None, agencies=["GONE"]), None, {},
                              "Asia/Jakarta", "id")
    assert row["media_url"] is None and row["expected_datetime"] is None
    assert row["agency_responsible"] == "GONE"


def test_the_responsible_agency_is_named_in_the_chosen_language():
    agencies = {"DLH": {"code": "DLH", "name_id": "Dinas Lingkungan Hidup",
                        "name_en": "Environment Agency"}}
    english = mapping.request_row(_row(), None, agencies, "Asia/Jakarta", "en")
    assert english["agency_responsible"] == "Environment Agency"
    assert english["service_name"] == "waste"  # a category no longer in the catalogue


def test_xml_names_list_items_as_the_spec_does():
    document = to_xml("service_definition", {"service_code": "x", "attributes": [
        {"code": "a", "values": [{"key": 1, "name": "Satu"}], "required": True,
         "datatype_description": None}]})
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(document)
    assert root.find("attributes/attribute/values/value/name").text == "Satu"
    assert root.find("attributes/attribute/required").text == "true"
    assert root.find("attributes/attribute/datatype_description").text is None


def test_xml_escapes_and_keeps_unicode():
    document = to_xml("errors", [{"code": 400, "description": "<a> & “kutip” é"}])
    assert ElementTree.fromstring(document).find("error/description").text == "<a> & “kutip” é"


def _range(**params):
    return queries.date_range(queries.parse(params), WIB, NOW)


def test_the_last_90_days_by_default():
    start, end = _range()
    assert end == NOW and end - start == timedelta(days=90)


def test_one_bound_means_90_days_from_or_to_it():
    start, end = _range(start_date="2026-01-01T00:00:00+07:00")
    assert end - start == timedelta(days=90)
    start, end = _range(end_date="2026-06-01")
    assert end == datetime(2026, 6, 1, tzinfo=WIB) and end - start == timedelta(days=90)


def test_a_span_over_90_days_is_refused():
    assert _range(start_date="2026-01-01", end_date="2026-04-01")  # exactly 90 days
    with pytest.raises(ApiError) as refused:
        _range(start_date="2026-01-01", end_date="2026-04-02")
    assert refused.value.status == 400 and refused.value.code == "date_range_too_long"
    with pytest.raises(ApiError) as backwards:
        _range(start_date="2026-04-01", end_date="2026-01-01")
    assert backwards.value.code == "invalid_date_range"


@pytest.mark.parametrize("params", [{"start_date": "yesterday"}, {"status": "pending"},
                                    {"page_size": "0"}, {"service_request_id": "1;2"},
                                    {"service_code": "$ne"}])
def test_bad_parameters_are_a_400(params):
    with pytest.raises(ApiError) as refused:
        queries.parse(params)
    assert refused.value.status == 400


def test_dates_at_the_edge_of_the_calendar_are_a_400_not_a_crash():
    with pytest.raises(ApiError) as refused:
        _range(start_date="9999-12-31")
    assert refused.value.status == 400


def test_the_query_asks_intake_s_public_list_for_public_statuses_only():
    query = queries.parse({"status": "closed", "service_code": "waste,flood"})
    params = queries.intake_params(query, "padang", WIB, NOW)
    assert params == {"city": "padang", "detail": "full", "status": "closed,referred,resolved",
                      "category": "waste,flood",
                      "created_since": (NOW - timedelta(days=90)).isoformat(),
                      "created_until": NOW.isoformat()}
    assert set(queries.intake_params(queries.parse({}), "padang", WIB, NOW)["status"]
               .split(",")) == set(PUBLIC_STATUSES)
    by_id = queries.intake_params(
        queries.parse({"service_request_id": "PDG-2026-7KQ-4M9-X2A,PDG-2026-000002",
                       "status": "open", "start_date": "2020-01-01"}),
        "padang", WIB, NOW)
    assert by_id == {"city": "padang", "detail": "full",
                     "code": "PDG-2026-7KQ-4M9-X2A,PDG-2026-000002"}


@pytest.mark.parametrize(("offset", "limit", "size", "pages"), [
    (0, 50, 50, [1]), (100, 50, 50, [3]), (0, 200, 100, [1, 2]), (200, 200, 100, [3, 4]),
    (150, 150, 100, [2, 3]), (150, 200, 100, [2, 3, 4]), (0, 150, 100, [1, 2]), (7, 7, 7, [2]),
])
def test_an_open311_page_is_read_from_intake_s_pages(offset, limit, size, pages):
    assert reads._pages(offset, limit) == (size, pages)
