"""The SMS parser (aduan/domain/sms_commands.py): keywords from the catalogue and the shipped
table, where and what, STOP / MULAI, and what is no report at all."""

from __future__ import annotations

import json
from pathlib import Path

from aduan.domain.sms_commands import (
    Incomplete,
    Keyword,
    NewReport,
    Other,
    Start,
    Stop,
    examples,
    keyword_table,
    parse,
)
from aduan.infra.catalogue import shared_categories

SEED = json.loads((Path(__file__).resolve().parents[2] / "aduan" / "data"
                   / "sms_keywords.json").read_text())["keywords"]
TABLE = keyword_table(shared_categories(), SEED)


def test_the_issue_example_is_a_waste_report_at_that_address():
    command = parse("SAMPAH Jl. Sudirman depan pasar menumpuk", TABLE)
    assert command == NewReport("waste", "Jl. Sudirman depan pasar menumpuk",
                                "Jl. Sudirman depan pasar menumpuk", "id", "SAMPAH")


def test_case_punctuation_and_spacing_do_not_matter():
    command = parse("  sampah:\nJl.  Sudirman\n depan pasar ", TABLE)
    assert isinstance(command, NewReport) and command.category == "waste"
    assert command.description == "Jl. Sudirman depan pasar"


def test_a_hash_splits_where_from_what():
    command = parse("PJU Jl. Hamka no. 5 # lampu mati sejak tiga hari", TABLE)
    assert command == NewReport("street_light", "lampu mati sejak tiga hari", "Jl. Hamka no. 5",
                                "id", "PJU")
    short = parse("LAMPU Jl. Hamka # mati", TABLE)  # too short a what: the whole text
    assert short == NewReport("street_light", "Jl. Hamka mati", "Jl. Hamka", "id", "LAMPU")


def test_names_codes_and_english_names_are_keywords_too():
    assert parse("Banjir di simpang Haru setinggi lutut", TABLE).category == "flood"
    assert parse("FLOODING at Simpang Haru, knee deep", TABLE).language == "en"
    assert parse("street_light broken near the mosque", TABLE).category == "street_light"


def test_a_word_two_categories_share_by_name_is_nobodys_unless_listed():
    categories = [{"code": "a", "name_id": "Air bersih"}, {"code": "b", "name_id": "Air kotor"},
                  {"code": "c", "name_id": "Jalan", "sms_keywords": ["AIR"]}]
    assert keyword_table(categories)["AIR"] == Keyword("c", "id", listed=True)
    assert "AIR" not in keyword_table(categories[:2])


def test_inactive_categories_take_no_reports():
    table = keyword_table([{"code": "waste", "name_id": "Sampah", "active": False}])
    assert isinstance(parse("SAMPAH di depan pasar raya", table), Other)


def test_lapor_first_is_skipped_and_without_keyword_is_other():
    assert parse("LAPOR sampah menumpuk di pasar raya", TABLE).category == "waste"
    other = parse("LAPOR ada pohon tumbang di jalan", TABLE)
    assert isinstance(other, NewReport) and other.category == "other"
    assert other.description == "ada pohon tumbang di jalan"


def test_a_keyword_alone_or_with_too_few_words_is_incomplete():
    assert parse("SAMPAH", TABLE) == Incomplete("waste", "id", "SAMPAH")
    assert parse("sampah pasar", TABLE) == Incomplete("waste", "id", "SAMPAH")
    assert parse("LAPOR pju", TABLE) == Incomplete("street_light", "id", "PJU")


def test_the_examples_are_the_first_listed_keyword_of_each_category():
    assert examples(TABLE)[:6] == ["SAMPAH", "LINGKUNGAN", "JALAN", "DRAINASE", "BANJIR", "PJU"]


def test_stop_and_start_alone():
    assert parse("stop", TABLE) == Stop()
    assert parse("BERHENTI", TABLE) == Stop()
    assert parse("Mulai", TABLE) == Start()
    assert isinstance(parse("stop dulu pak, sudah diperbaiki", TABLE), Other)


def test_anything_else_is_other_with_the_text():
    assert parse("Terima kasih, sudah bersih  sekarang", TABLE) == Other(
        "Terima kasih, sudah bersih sekarang")


def test_long_texts_are_cut_to_what_intake_takes():
    command = parse("SAMPAH " + "x" * 2500, TABLE)
    assert isinstance(command, NewReport)
    assert len(command.description) == 2000 and len(command.address or "") == 300


def test_after_a_report_keywords_count_only_in_capitals():
    reply = parse("Air sudah masuk rumah warga", TABLE, capitals_only=True)
    assert reply == Other("Air sudah masuk rumah warga")
    assert parse("AIR mati sejak pagi di Jl. Ratulangi", TABLE,
                 capitals_only=True).category == "water"
    assert parse("Lapor jalan rusak di depan sekolah", TABLE, capitals_only=True) == Other(
        "Lapor jalan rusak di depan sekolah")
    assert parse("stop", TABLE, capitals_only=True) == Stop()  # STOP in any case
