"""Item: a photo attached to a comment goes through the same safe decode, pixel limit and
EXIF/XMP strip as a report's photos; staff get only the stripped copy; and no one floods a
report with comments or photos."""

from __future__ import annotations

import io
import json

import piexif
import pytest
import requests
from attackers import file_report, settle
from photo_factory import PHOTOS, fresh_padang_photo
from PIL import Image
from staff_accounts import make_staff

pytestmark = pytest.mark.stack


def _comment(api: str, code: str, headers: dict[str, str], text: str,
             photo: bytes | None = None, name: str = "p.jpg") -> requests.Response:
    files = {"comment": (None, json.dumps({"text": text}), "application/json")}
    if photo is not None:
        files["photo"] = (name, photo, "image/png" if name.endswith(".png") else "image/jpeg")
    return requests.post(f"{api}/reports/{code}/comments", headers=headers, files=files,
                         timeout=30)


def _assert_stripped(data: bytes) -> None:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    assert not picture.getexif() and "exif" not in picture.info
    assert not any(key.startswith(("xmp", "XML")) for key in picture.info)
    for marker in (b"Exif\x00\x00", b"http://ns.adobe.com/xap/1.0/", b"<x:xmpmeta", b"NIKON",
                   b"GPS"):
        assert marker not in data, marker


@pytest.fixture(scope="module")
def forwarded(api) -> dict:
    receipt = file_report(api, fresh_padang_photo())
    settle(api, receipt, {"forwarded"})
    return receipt


def test_reporter_and_agency_attach_photos_with_gps_and_staff_see_them_stripped(
        api, db, store, forwarded):
    code = forwarded["code"]
    dlh = make_staff(db, api, "agency_admin", agency="DLH").headers
    for source, headers in (("DSCN0010.jpg", {"X-Reporter-Token": forwarded["token"]}),
                            ("DSCN0012.jpg", dlh)):
        original = (PHOTOS / source).read_bytes()
        assert piexif.load(original)["GPS"] and b"http://ns.adobe.com/xap/1.0/" in original
        sent = _comment(api, code, headers, f"foto {source}", original)
        assert sent.status_code == 201, sent.text

    staff = requests.get(f"{api}/staff/reports/{code}", headers=dlh, timeout=10).json()
    served = [c for c in staff["comments"] if c.get("photo_url")]
    assert len(served) == 2
    gateway = api.removesuffix("/api/v1")
    for comment in served:
        for url in (comment["photo_url"], comment["photo_thumbnail_url"]):
            photo = requests.get(gateway + url[url.index("/api/v1"):], headers=dlh, timeout=10)
            assert photo.status_code == 200, photo.text
            _assert_stripped(photo.content)
    # Nothing of the photos as sent is stored anywhere.
    report_id = forwarded["id"]
    assert store.keys(store.raw_bucket, f"padang/{report_id}/comments/") == []
    stored = store.keys(store.public_bucket, f"padang/{report_id}/comments/")
    assert len(stored) == 4
    for key in stored:
        _assert_stripped(store.get(store.public_bucket, key))


def test_attacker_attaches_a_decompression_bomb_to_a_comment_and_it_is_refused(
        api, forwarded):
    bomb = (PHOTOS / "bomb_30000x30000.png").read_bytes()
    refused = _comment(api, forwarded["code"], {"X-Reporter-Token": forwarded["token"]},
                       "lihat ini", bomb, name="bomb.png")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == {"code": "invalid_photo", "message": refused.json()[
        "error"]["message"], "details": {"reason": "too_many_pixels"}}
    truncated = (PHOTOS / "DSCN0010_truncated60.jpg").read_bytes()
    broken = _comment(api, forwarded["code"], {"X-Reporter-Token": forwarded["token"]},
                      "lihat ini", truncated)
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_photo"


def test_reporter_floods_their_report_with_comments_and_photos_and_is_stopped(api, settings):
    receipt = file_report(api, fresh_padang_photo())
    settle(api, receipt, {"forwarded"})
    mine = {"X-Reporter-Token": receipt["token"]}
    photo = (PHOTOS / "DSCN0010.jpg").read_bytes()
    for n in range(settings.comment_photos_per_author_per_day):
        assert _comment(api, receipt["code"], mine, f"foto {n}", photo).status_code == 201
    too_many_photos = _comment(api, receipt["code"], mine, "satu foto lagi", photo)
    assert too_many_photos.status_code == 429, too_many_photos.text
    assert too_many_photos.json()["error"]["code"] == "comment_rate_limited"
    assert 0 < int(too_many_photos.headers["Retry-After"]) <= 24 * 3600
    for n in range(settings.comments_per_author_per_day
                   - settings.comment_photos_per_author_per_day):
        sent = requests.post(f"{api}/reports/{receipt['code']}/comments", headers=mine,
                             json={"text": f"komentar {n}"}, timeout=10)
        assert sent.status_code == 201, sent.text
    flooded = requests.post(f"{api}/reports/{receipt['code']}/comments", headers=mine,
                            json={"text": "lagi"}, timeout=10)
    assert flooded.status_code == 429
    assert flooded.json()["error"]["code"] == "comment_rate_limited"
    view = requests.get(f"{api}/reports/{receipt['code']}", headers=mine, timeout=10).json()
    assert len(view["comments"]) == settings.comments_per_author_per_day
