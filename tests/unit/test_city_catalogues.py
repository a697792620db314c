"""Each city's own catalogue (aduan/data/catalogues): every category of each of the four cities
routes to that city's own agencies (its OPD, or the office of the report's kecamatan), refers to
one of its vertical bodies, or (`other` only) goes to the operators' triage queue; every code a
rule names exists; every name is there in Bahasa Indonesia and English; and the seed is what a
sysadmin could have sent through the API."""

from __future__ import annotations

import pytest
from fakes import fake_db, seeded_fake_db

from aduan.contracts.catalogue import AgencyIn, CategoryIn
from aduan.domain.geo import kecamatan_areas
from aduan.infra.catalogue import (
    CATALOGUES,
    KECAMATAN,
    cities,
    city_catalogue,
    ensure_seeded,
    kecamatan_agency_code,
    seed_agencies,
    seed_categories,
    shared_categories,
)
from services.routing.rules import decide

CITIES = sorted(cities())
TRIAGE = {"other"}
# Forwarded to by an operator only (a central-government matter), never by a category's rule.
BY_HAND = {"SP4N-LAPOR"}


@pytest.fixture(scope="module")
def db():
    return seeded_fake_db()


def test_the_four_cities_each_have_a_catalogue_and_its_provenance() -> None:
    assert CITIES == ["depok", "jambi", "kotamobagu", "padang"]
    shipped = {path.stem for path in CATALOGUES.glob("*.json")} - {"categories"}
    assert shipped == set(CITIES)
    source = (CATALOGUES / "SOURCE.md").read_text()
    for city in CITIES:
        assert f"## {cities()[city]['name']}" in source, city


@pytest.mark.parametrize("city", CITIES)
def test_every_category_has_the_citys_own_rule(city: str) -> None:
    catalogue = city_catalogue(city)
    own = {a["code"] for a in catalogue["agencies"]}
    vertical = {b["code"] for b in catalogue["vertical_bodies"]}
    assert not own & vertical
    assert len(own) == len(catalogue["agencies"])
    assert len(vertical) == len(catalogue["vertical_bodies"])
    assert set(catalogue["rules"]) == {c["code"] for c in shared_categories()}
    for code, rule in catalogue["rules"].items():
        agencies, refer_to = rule.get("agencies"), rule.get("refer_to")
        assert (agencies is None) != (refer_to is None), (city, code)
        if refer_to is not None:
            assert refer_to in vertical, (city, code)
        elif code in TRIAGE:
            assert agencies == [], (city, code)
        else:
            assert agencies and set(agencies) <= own | {KECAMATAN}, (city, code)
    handled = {a for rule in catalogue["rules"].values() for a in rule.get("agencies", [])}
    referred = {rule.get("refer_to") for rule in catalogue["rules"].values()}
    assert own <= handled, f"{city}: agencies no category goes to"
    assert vertical - BY_HAND <= referred, f"{city}: vertical bodies no category is referred to"
    assert vertical >= BY_HAND, f"{city}: no SP4N-LAPOR! body to forward reports to"


@pytest.mark.parametrize("city", CITIES)
def test_the_seed_is_what_a_sysadmin_could_send(city: str) -> None:
    for agency in seed_agencies(city):
        assert len(agency["name_id"]) >= 2 and len(agency["name_en"]) >= 2, agency
        if agency["kind"] != "kecamatan":
            AgencyIn.model_validate({k: agency[k] for k in
                                     ("code", "kind", "name_id", "name_en", "contact")})
        assert "head" not in agency and "liaisons" not in agency
    for category in seed_categories(city):
        CategoryIn.model_validate({k: v for k, v in category.items()})


@pytest.mark.parametrize("city", CITIES)
def test_every_category_routes_to_the_citys_own_agencies(db, city: str) -> None:
    catalogue = city_catalogue(city)
    own = {a["code"] for a in catalogue["agencies"]}
    vertical = {b["code"] for b in catalogue["vertical_bodies"]}
    area = kecamatan_areas(city)[0]
    office = kecamatan_agency_code(area.code)
    for category in seed_categories(city):
        report = {"city": city, "category": category["code"]}
        decision = decide(db, report, {"code": area.code, "name": area.name})
        codes = [a["code"] for a in decision.agencies]
        assert all(a["city"] == city for a in decision.agencies)
        if category["code"] in TRIAGE:
            assert (decision.kind, decision.reason) == ("triage", "no_rule")
        elif category.get("refer_to"):
            assert decision.kind == "refer" and codes[0] in vertical, (city, category["code"])
        else:
            assert decision.kind == "forward", (city, category["code"])
            assert codes and set(codes) <= own | {office}, (city, category["code"])
        assert category["name_id"] and category["name_en"]
        if decision.kind == "forward":
            assert category["sla"]["resolution_days"] >= 1, (city, category["code"])


def _handler(city: str, category: str) -> list[tuple[str, str]]:
    agencies = {a["code"]: a for a in seed_agencies(city)}
    [rule] = [c for c in seed_categories(city) if c["code"] == category]
    return [(code, agencies[code]["name_id"]) for code in rule["agencies"]]


def test_the_cities_own_agencies_and_bodies() -> None:
    combined = "Satuan Polisi Pamong Praja dan Pemadam Kebakaran"
    assert _handler("kotamobagu", "fire") == _handler("kotamobagu", "public_order") == [
        ("SATPOLPP", combined)]
    assert _handler("padang", "fire") == [("DAMKAR", "Dinas Pemadam Kebakaran")]
    assert _handler("depok", "waste") == [("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")]
    assert _handler("jambi", "civil_servant")[0][0] == "BKPSDMD"
    street_lights = {city: _handler(city, "street_light")[0][0] for city in CITIES}
    assert street_lights == {"padang": "DISHUB", "depok": "DISHUB", "jambi": "PERKIM",
                             "kotamobagu": "DISPERKIM"}
    waters = {city: next(b["name_id"] for b in city_catalogue(city)["vertical_bodies"]
                         if b["code"] == "PDAM") for city in CITIES}
    assert len(set(waters.values())) == 4  # each city's own water utility


def test_resolution_targets_are_set_per_category() -> None:
    targets = {c["code"]: c.get("sla", {}).get("resolution_days") for c in shared_categories()}
    assert (targets["waste"], targets["street_light"], targets["road"]) == (2, 5, 10)
    assert targets["drainage"] and targets["flood"]


def test_the_shared_categories_name_every_category_once() -> None:
    codes = [c["code"] for c in shared_categories()]
    assert len(codes) == len(set(codes)) and "street_light" in codes


def test_a_deployment_seeded_from_an_older_catalogue_gains_what_is_new_and_keeps_the_rest():
    db = fake_db()
    # What an older release seeded (one catalogue for every city), then a sysadmin's edit: the
    # state only an older release and that edit make.
    db.agencies.insert_one({"_id": "depok:DLH", "city": "depok", "code": "DLH", "kind": "opd",
                            "active": True, "name_id": "Dinas Lingkungan Hidup",
                            "name_en": "Environment Agency", "head": {"name": "Kepala"}})
    db.categories.insert_one({"_id": "depok:waste", "city": "depok", "code": "waste",
                              "name_id": "Sampah", "name_en": "Waste", "agencies": ["DLH"],
                              "sla": {"follow_up_days": 3}, "updated_by": "sysadmin-depok"})
    ensure_seeded(db)
    assert db.agencies.find_one({"_id": "depok:DLH"})["head"] == {"name": "Kepala"}
    waste = db.categories.find_one({"_id": "depok:waste"})
    assert waste["agencies"] == ["DLH"] and waste["sla"] == {"follow_up_days": 3}
    assert db.agencies.find_one({"_id": "depok:DLHK"})["kind"] == "opd"
    assert db.categories.find_one({"_id": "depok:street_light"})["agencies"] == ["DISHUB"]
    seeded = fake_db()
    ensure_seeded(seeded)
    assert db.categories.count_documents({}) == seeded.categories.count_documents({})
    assert db.agencies.count_documents({}) == seeded.agencies.count_documents({}) + 1
