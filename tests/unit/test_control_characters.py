"""Free text refuses control characters other than line breaks and tabs
(aduan/web/validation.py), and Open311 XML stays well-formed whatever text is stored."""

from __future__ import annotations

from xml.dom import minidom

import pytest

from aduan.contracts.base import clean_text
from aduan.contracts.reports import CommentIn, ReportIn
from aduan.web.errors import ApiError
from aduan.web.validation import validate
from gateway.open311.formats import to_xml

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b[2J", "\x7f", "\x85", "\x9b",
           "\ud800", "\ufffe", "\uffff"]


@pytest.mark.parametrize("control", REFUSED)
def test_control_characters_are_refused(control: str) -> None:
    with pytest.raises(ValueError):
        clean_text(f"Jalan rusak{control} parah")


def test_line_breaks_are_normalised_and_tabs_kept() -> None:
    assert clean_text("satu\r\ndua\rtiga\n\tempat") == "satu\ndua\ntiga\n\tempat"
    assert clean_text("Sampah 🗑️ di Jl. Sudirman — “parah”") == "Sampah 🗑️ di Jl. Sudirman — “parah”"


def test_a_nested_field_with_a_control_character_is_named_in_the_error() -> None:
    report = {"category": "waste", "description": "Sampah menumpuk di pasar",
              "location": {"lat": -0.97, "lon": 100.4, "address": "Jl. Ahmad\x00Yani"}}
    with pytest.raises(ApiError) as refused:
        validate(ReportIn, report)
    assert (refused.value.status, refused.value.code) == (422, "control_character")
    assert refused.value.details == {"field": "location.address"}


def test_a_comment_keeps_its_paragraphs() -> None:
    assert validate(CommentIn, {"text": "Terima kasih.\r\n\r\nSudah bersih."}).text == \
        "Terima kasih.\n\nSudah bersih."


def test_open311_xml_of_text_an_older_version_stored_still_parses() -> None:
    stored = "Lubang\x00 besar\x1b[31m di\x0c jalan\ufffe \x85 & <b>"
    document = to_xml("service_requests", [{"description": stored, "lat": 1.5}])
    parsed = minidom.parseString(document)
    [description] = parsed.getElementsByTagName("description")
    assert description.firstChild.data == \
        "Lubang\ufffd besar\ufffd[31m di\ufffd jalan\ufffd \x85 & <b>"
