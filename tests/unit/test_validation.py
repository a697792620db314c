import pytest

from aduan.contracts.reports import ReportIn
from aduan.web.errors import ApiError
from aduan.web.photos import sniff_image_type
from aduan.web.validation import find_operator_key, parse_json_object, validate

VALID = {
    "category": "waste",
    "description": "Sampah menumpuk di pinggir jalan",
    "location": {"lat": -0.95, "lon": 100.41},
}


def test_operator_keys_are_found_at_any_depth():
    assert find_operator_key({"a": {"b": [{"$gt": 1}]}}) == "a.b[0].$gt"
    assert find_operator_key({"a.b": 1}) == "a.b"
    assert find_operator_key({"a": [1, {"b": "c"}]}) is None


@pytest.mark.parametrize(
    "raw, code",
    [("not json", "invalid_json"), ("[1, 2]", "invalid_json"),
     ('{"category": {"$ne": null}}', "forbidden_key")],
)
def test_bad_json_is_refused_with_a_stable_code(raw, code):
    with pytest.raises(ApiError) as caught:
        parse_json_object(raw, "report")
    assert caught.value.code == code
    assert caught.value.status == 400


def test_a_valid_report_gets_defaults():
    report = validate(ReportIn, VALID)
    assert report.channel == "app"
    assert report.privacy == "public"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"location": {"lat": "-0.95", "lon": 100.41}}, "location.lat"),
        ({"location": {"lat": True, "lon": 100.41}}, "location.lat"),
        ({"location": {"lat": -95.0, "lon": 100.41}}, "location.lat"),
        ({"description": "short"}, "description"),
        ({"category": 7}, "category"),
        ({"privacy": "secret"}, "privacy"),
        ({"channel": "pigeon"}, "channel"),
        ({"reporter": {"email": "not-an-email"}}, "reporter.email"),
        ({"extra": 1}, "extra"),
    ],
)
def test_wrong_types_and_values_name_the_field(change, field):
    with pytest.raises(ApiError) as caught:
        validate(ReportIn, {**VALID, **change})
    assert caught.value.status == 422
    assert caught.value.code == "validation_failed"
    assert field in [d["field"] for d in caught.value.details]


def test_missing_fields_are_listed():
    with pytest.raises(ApiError) as caught:
        validate(ReportIn, {})
    missing = {d["field"] for d in caught.value.details if d["problem"] == "missing"}
    # A location is the category's to ask for (aduan.domain.report_types), not the contract's.
    assert missing == {"category", "description"}


@pytest.mark.parametrize(
    "head, expected",
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"GIF89a", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_image_type_is_judged_from_bytes(head, expected):
    assert sniff_image_type(head) == expected
