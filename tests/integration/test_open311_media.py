"""Open311 clients that send no photo (issue 18, section 5), through the running gateway: the
spec's own form-urlencoded POST files a report marked no photo that an operator reviews;
`media_url` is fetched once from a small image server beside the tests and judged as an
upload; a URL on an internal address is never fetched, and a fetch that fails still files the
report, marked and reviewed.

The test stack exempts the image server's own spelling, 127.0.0.1, from the rule against
private addresses (ADUAN_MEDIA_URL_PRIVATE_HOSTS, as for webhooks); `localhost`, the same
machine under another name, stays refused, so the rule is at work here."""

from __future__ import annotations

import hashlib
import io
import random

import pytest
import requests
from image_server import ImageServer, Page
from notification_helpers import staff_headers
from photo_factory import photo_of_its_own, spot_of_its_own
from waiting import eventually

pytestmark = pytest.mark.stack

RNG = random.Random(18_5)




@pytest.fixture(scope="module")
def images():
    with ImageServer() as server:
        yield server


def _spec_form(key: str, **changes: str) -> dict[str, str]:
    lat, lon = spot_of_its_own(RNG, "padang")
    return {"api_key": key, "jurisdiction_id": "padang", "service_code": "waste",
            "lat": f"{lat:.7f}", "long": f"{lon:.7f}", "address_string": "Jl. Sudirman",
            "description": "Sampah menumpuk di depan sekolah sejak minggu lalu",
            "email": "open311.spec@example.id", **changes}


def _file(o311: str, form: dict[str, str]) -> dict:
    """The spec's own POST: application/x-www-form-urlencoded, no file."""
    response = requests.post(f"{o311}/requests.json", data=form, timeout=30)
    assert response.status_code == 200, response.text
    assert response.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    [created] = response.json()
    return created


def _staff_view(api: str, settings, code: str) -> dict:
    response = requests.get(f"{api}/staff/reports/{code}", timeout=10,
                            headers=staff_headers(settings, "operator", "padang"))
    assert response.status_code == 200, response.text
    return response.json()


def _judged(db, code: str) -> dict:
    """The report once verification has judged it (the public view shows no report waiting
    for review, so the stored one is read)."""
    return eventually(lambda: db.reports.find_one(
        {"code": code, "status": {"$nin": ["submitted", "verifying"]}}),
        what=f"{code} judged")


def _reviewed_without_photo(api: str, settings, db, code: str) -> dict:
    """The report waits for an operator, marked no photo, never rejected for the lack."""
    stored = _judged(db, code)
    assert stored["status"] == "needs_review", stored.get("verification")
    assert stored["no_photo"] is True and stored["photos"] == []
    assert "no_photo" in stored["verification"]["reasons"]
    view = _staff_view(api, settings, code)
    assert view["no_photo"] is True
    return view


def test_a_spec_form_post_without_a_photo_goes_to_operator_review(
        o311, api, api_key, settings, db):
    created = _file(o311, _spec_form(api_key))
    code = created["service_request_id"]
    assert "tanpa foto" in created["service_notice"] and code in created["service_notice"]
    stored = db.reports.find_one({"code": code})
    assert (stored["channel"], stored["privacy"], stored["type"]) \
        == ("open311", "anonymous", "complaint")
    assert "media_fetch_failed" not in stored
    view = _reviewed_without_photo(api, settings, db, code)
    assert view["media_fetch_failed"] is None


def _web_picture() -> bytes:
    """A picture as most web hosts serve one: a PNG with no EXIF at all."""
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((320, 240), RNG.uniform(20, 80)).convert("RGB").save(out, "PNG")
    return out.getvalue()


def test_a_media_url_picture_is_fetched_once_and_judged_as_an_upload(
        o311, api, api_key, settings, db, images):
    picture = _web_picture()
    images.pages["/uploads/sampah.png"] = Page(picture, content_type="image/png")
    created = _file(o311, _spec_form(api_key, media_url=images.url("/uploads/sampah.png"),
                                     locale="en"))
    code = created["service_request_id"]
    assert created["service_notice"].startswith(f"Report {code} received; its photo")
    assert images.paths_asked().count("/uploads/sampah.png") == 1
    asked = images.received[-1]
    assert asked.headers["Host"] == f"127.0.0.1:{images.port}"

    stored = db.reports.find_one({"code": code})
    [photo] = stored["photos"]
    assert photo["sha256"] == hashlib.sha256(picture).hexdigest()
    assert photo["content_type"] == "image/png" and stored["no_photo"] is False
    # Judged as an upload without EXIF would be: the default policy sends it to an operator.
    stored = _judged(db, code)
    assert stored["status"] == "needs_review"
    assert "exif_missing" in stored["verification"]["reasons"]
    assert "no_photo" not in stored["verification"]["reasons"]


def test_a_media_url_camera_photo_passes_the_checks_as_an_upload_would(
        o311, api, api_key, db, images):
    form = _spec_form(api_key)
    photo = photo_of_its_own(RNG, float(form["lat"]), float(form["long"]))
    # Many servers call every file octet-stream: the bytes decide.
    images.pages["/camera.jpg"] = Page(photo, content_type="application/octet-stream")
    code = _file(o311, {**form, "media_url": images.url("/camera.jpg")})["service_request_id"]
    stored = _judged(db, code)
    assert stored["status"] in ("verified", "forwarded"), stored.get("verification")
    assert stored["photos"][0]["sha256"] == hashlib.sha256(photo).hexdigest()


@pytest.mark.parametrize("host", ["localhost", "169.254.169.254", "[::1]"])
def test_a_media_url_on_an_internal_address_is_never_fetched_and_the_report_is_reviewed(
        o311, api, api_key, settings, db, images, host):
    images.pages["/internal.jpg"] = Page(photo_of_its_own(RNG, -0.95, 100.4))
    before = len(images.paths_asked())
    url = f"http://{host}:{images.port}/internal.jpg"
    created = _file(o311, _spec_form(api_key, media_url=url))
    code = created["service_request_id"]
    assert "address_not_allowed" in created["service_notice"]
    assert "tanpa foto" in created["service_notice"]
    view = _reviewed_without_photo(api, settings, db, code)
    assert view["media_fetch_failed"] == "address_not_allowed"
    assert len(images.paths_asked()) == before  # nothing reached the server


def test_a_redirect_to_an_internal_address_is_not_followed(
        o311, api, api_key, settings, db, images):
    images.pages["/moved.jpg"] = Page(status=302, content_type=None, headers={
        "Location": f"http://localhost:{images.port}/internal.jpg"})
    created = _file(o311, _spec_form(api_key, media_url=images.url("/moved.jpg")))
    view = _reviewed_without_photo(api, settings, db, created["service_request_id"])
    assert view["media_fetch_failed"] == "address_not_allowed"
    assert "/internal.jpg" not in images.paths_asked()


@pytest.mark.parametrize(("page", "reason"), [
    (Page(b"gone", status=404, content_type="text/plain"), "http_status"),
    (Page(b"<html>a page, not a picture</html>", content_type="text/html"), "not_an_image"),
    (Page(b"\xff\xd8\xff" + bytes(64), pieces=12, pause_s=0.4), "timeout"),
])
def test_a_fetch_that_fails_still_files_the_report_marked_and_reviewed(
        o311, api, api_key, settings, db, images, page, reason):
    path = f"/failing-{reason}.jpg"
    images.pages[path] = page
    created = _file(o311, _spec_form(api_key, media_url=images.url(path)))
    code = created["service_request_id"]
    assert reason in created["service_notice"]
    stored = db.reports.find_one({"code": code})
    assert stored["media_fetch_failed"] == reason
    assert _reviewed_without_photo(api, settings, db, code)["media_fetch_failed"] == reason
    assert images.paths_asked().count(path) == 1  # once, no retry


def test_the_type_attribute_files_an_aspiration_without_photo_or_place(o311, api, api_key, db):
    definition = requests.get(f"{o311}/services/waste.json", timeout=10,
                              params={"jurisdiction_id": "padang"}).json()
    [attribute] = definition["attributes"]
    assert attribute["code"] == "type"
    assert "aspiration" in [v["key"] for v in attribute["values"]]
    form = {k: v for k, v in _spec_form(api_key).items()
            if k not in ("lat", "long", "address_string")}
    created = _file(o311, {**form, "attribute[type]": "aspiration",
                           "description": "Usul: tambah tempat sampah terpilah di taman kota"})
    stored = _judged(db, created["service_request_id"])
    assert (stored["type"], stored["location"], stored["no_photo"]) \
        == ("aspiration", None, True)
    # A complaint still needs its place, on this channel too.
    refused = requests.post(f"{o311}/requests.json", data=form, timeout=30)
    assert refused.status_code == 400 and "location" in refused.text
