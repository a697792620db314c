"""Item: no client is ever handed an address of the object store (an internal host, a link
that dies after minutes); photos come from the gateway at stable addresses, with ETag and
Cache-Control, under the report's visibility rules."""

from __future__ import annotations

import pytest
import requests
from attackers import every_answer_about, file_report, settle
from photo_factory import fresh_padang_photo
from staff_accounts import make_staff
from workflow_client import act

from aduan.domain.codes import new_code

pytestmark = pytest.mark.stack


def _store_leaks(settings, text: str) -> list[str]:
    return [marker for marker in (settings.s3_endpoint, "X-Amz-", "x-amz-",
                                  settings.s3_public_bucket, settings.s3_raw_bucket)
            if marker in text]


def test_aggregator_collects_every_answer_and_finds_no_store_address(api, db, settings):
    receipt = file_report(api, fresh_padang_photo())
    code = receipt["code"]
    settle(api, receipt, {"forwarded"})
    dlh = make_staff(db, api, "agency_admin", agency="DLH").headers
    for action in ("accept", "start"):
        assert act(api, code, action, dlh, {}).status_code == 200
    resolved = act(api, code, "resolve", dlh, {"note": "selesai", "public_response": "Beres"},
                   photo=fresh_padang_photo())
    assert resolved.status_code == 200, resolved.text
    operator = make_staff(db, api, "operator").headers
    comment = requests.post(
        f"{api}/reports/{code}/comments", headers=dlh, timeout=10,
        files={"comment": (None, '{"text": "Foto lokasi"}', "application/json"),
               "photo": ("p.jpg", fresh_padang_photo(), "image/jpeg")})
    assert comment.status_code == 201, comment.text

    answers = {
        **every_answer_about(api, receipt),
        "staff view": requests.get(f"{api}/staff/reports/{code}", headers=operator, timeout=10),
        "staff workflow": requests.get(f"{api}/reports/{code}/workflow", headers=operator,
                                       timeout=10),
        "resolve answer": resolved,
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        assert _store_leaks(settings, answer.text) == [], name

    # Every photo address the answers name is the gateway's, and answers with the JPEG.
    view = answers["public view"].json()
    [row] = answers["open311 json"].json()
    gateway = api.removesuffix("/api/v1")
    evidence = [p for e in answers["reporter workflow"].json()["history"]
                for p in e.get("photos", [])]
    [commented] = [c for c in answers["staff view"].json()["comments"] if c.get("photo_url")]
    urls = [row["media_url"], view["photos"][0]["url"], view["photos"][0]["thumbnail_url"],
            evidence[0]["url"], evidence[0]["thumbnail_url"]]
    for url in urls:
        assert url.startswith(f"{settings.public_base_url}/api/v1/reports/{code}/"), url
        photo = requests.get(url.replace(settings.public_base_url, gateway), timeout=10)
        assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
        assert photo.content.startswith(b"\xff\xd8") and "public" in \
            photo.headers["Cache-Control"]
        again = requests.get(url.replace(settings.public_base_url, gateway), timeout=10,
                             headers={"If-None-Match": photo.headers["ETag"]})
        assert again.status_code == 304
    # A comment's photo is for staff only.
    comment_url = commented["photo_url"].replace(settings.public_base_url, gateway)
    assert requests.get(comment_url, timeout=10).status_code == 404
    staff_copy = requests.get(comment_url, headers=operator, timeout=10)
    assert staff_copy.status_code == 200 and "private" in staff_copy.headers["Cache-Control"]


def test_stranger_fetches_the_photos_of_a_report_under_review_and_gets_404(
        api, hidden_reports):
    for kind in ("needs_review", "confidential"):
        receipt = hidden_reports[kind]
        own = requests.get(f"{api}/reports/{receipt['code']}", timeout=10,
                           headers={"X-Reporter-Token": receipt["token"]}).json()
        gateway = api.removesuffix("/api/v1")
        for photo in own["photos"]:  # the reporter's view names them; the stranger guesses
            path = photo["url"][photo["url"].index("/api/v1"):]
            assert requests.get(f"{gateway}{path}", timeout=10).status_code == 404
            mine = requests.get(f"{gateway}{path}", timeout=10,
                                headers={"X-Reporter-Token": receipt["token"]})
            assert mine.status_code == 200 and "private" in mine.headers["Cache-Control"]
        missing = requests.get(f"{api}/reports/{new_code('PDG', 2026)}/photos/1", timeout=10)
        hidden = requests.get(f"{api}/reports/{receipt['code']}/photos/1", timeout=10)
        assert (hidden.status_code, hidden.json()["error"]) == \
            (missing.status_code, missing.json()["error"])
