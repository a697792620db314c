"""An Open311 POST's fields as the gateway reads them (gateway/open311/submit.py): the spec's
own form without a photo, media_url, the location as given, the report type attribute."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from aduan.web.errors import ApiError
from gateway.open311.submit import read_form

SPEC_FORM = {"api_key": "k", "jurisdiction_id": "padang", "service_code": "waste",
             "lat": "-0.95", "long": "100.4", "address_string": "Jl. Bypass",
             "description": "Sampah menumpuk di tepi jalan"}


def _read(files: dict | None = None, **changes: str):
    fields = {k: v for k, v in {**SPEC_FORM, **changes}.items() if v is not None}
    return read_form(MultiDict(fields), MultiDict(files or {}), "padang", "id")


def test_the_spec_form_without_a_photo_is_a_submission_without_one() -> None:
    submission = _read()
    assert submission.media is None and submission.media_url is None
    assert submission.report == {
        "city": "padang", "category": "waste", "description": "Sampah menumpuk di tepi jalan",
        "location": {"lat": -0.95, "lon": 100.4, "address": "Jl. Bypass"},
        "channel": "open311", "privacy": "anonymous"}


def test_media_url_is_kept_to_fetch_and_an_upload_wins_over_it() -> None:
    assert _read(media_url="https://pictures.example/a.jpg").media_url \
        == "https://pictures.example/a.jpg"
    upload = FileStorage(io.BytesIO(b"\xff\xd8\xff"), "a.jpg", content_type="image/jpeg")
    both = _read({"media": upload}, media_url="https://pictures.example/a.jpg")
    assert both.media is upload and both.media_url is None


@pytest.mark.parametrize(("changes", "location"), [
    ({"address_string": ""}, {"lat": -0.95, "lon": 100.4}),
    ({"lat": "", "long": ""}, {"address": "Jl. Bypass"}),
    ({"lat": None, "long": None, "address_string": None}, None),
])
def test_the_location_is_what_was_given(changes: dict, location: dict | None) -> None:
    assert _read(**changes).report["location"] == location


@pytest.mark.parametrize("changes", [{"lat": ""}, {"long": None}, {"lat": "north"}])
def test_half_a_point_or_a_word_for_a_number_is_refused(changes: dict) -> None:
    with pytest.raises(ApiError) as refused:
        _read(**changes)
    assert (refused.value.status, refused.value.code) == (400, "validation_failed")


def test_the_type_is_the_one_attribute() -> None:
    assert "type" not in _read().report  # intake's default: a complaint
    assert _read(**{"attribute[type]": "aspiration"}).report["type"] == "aspiration"
    with pytest.raises(ApiError) as refused:
        _read(**{"attribute[WHISHETN]": "123"})
    assert refused.value.code == "unknown_attribute"
