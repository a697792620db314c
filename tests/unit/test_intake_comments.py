"""Comments on a report (services/intake/comments.py) over in-memory collaborators: appended
through the lifecycle (plan_comment, one conditional write), capped per report and per author,
and the caps kept when two comments race. The caps' arithmetic: test_comment_limits.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import FakePublisher, FakeStore, fake_db
from photo_factory import fresh_padang_photo
from stack_client import REPORT

from aduan.contracts.reports import ReportIn
from aduan.infra.config import Settings
from aduan.infra.images import open_image, render
from aduan.web.errors import ApiError
from aduan.web.photos import Photo
from aduan.web.validation import validate
from services.intake.comments import add_comment
from services.intake.submission import Intake

SETTINGS = replace(Settings(), comments_per_report=3, comment_photos_per_report=1,
                   comments_per_author_per_day=2, comment_photos_per_author_per_day=1)
PICTURE = fresh_padang_photo()
RENDITION = render(open_image(PICTURE, SETTINGS.max_image_pixels))


@pytest.fixture
def intake() -> Intake:
    return Intake(SETTINGS, fake_db(), FakeStore(), FakePublisher())


@pytest.fixture
def report(intake) -> dict:
    accepted = intake.submit(validate(ReportIn, REPORT), [Photo(PICTURE, "image/jpeg")], None,
                             None)
    intake.announce(accepted)
    return intake.db.reports.find_one({"_id": accepted.report_id})


def comment(intake: Intake, report: dict, by: str = "reporter", author_id: str | None = None,
            text: str = "Masih belum dibersihkan", photo=None) -> dict:
    return add_comment(SETTINGS, intake.db, intake.store, report, by, author_id, text, photo,
                       publisher=intake.reports.publisher)


def stored(intake: Intake, report: dict) -> dict:
    return intake.db.reports.find_one({"_id": report["_id"]})


def public_keys(intake: Intake) -> list[str]:
    return intake.store.keys(intake.store.public_bucket)


def test_a_comment_is_appended_without_a_status_change_and_announced(intake, report):
    added = comment(intake, report)
    after = stored(intake, report)
    [kept] = after["comments"]
    assert kept["id"] == added["id"] and kept["text"] == added["text"]
    assert (added["by"], added["author_id"], added["text"]) == (
        "reporter", None, "Masih belum dibersihkan")
    assert after["status"] == "submitted" and after["history"] == report["history"]
    # report.commented went through the report's outbox, and out of it once published.
    assert after["outbox"] == []
    assert intake.reports.publisher.keys() == ["report.submitted", "report.commented"]
    event = intake.reports.publisher.published[-1].body
    assert (event["author"], event["agency"], event["comment_id"]) == (
        "reporter", None, added["id"])
    assert "text" not in event and "from" not in event and "status" not in event


def test_a_comment_s_photo_is_stored_as_its_clean_copy(intake, report):
    added = comment(intake, report, "operator", "op-1", photo=RENDITION)
    assert public_keys(intake) == sorted(added["photo"].values())
    copy = intake.store.get(intake.store.public_bucket, added["photo"]["key"])
    assert copy == RENDITION.public_jpeg and b"Exif\x00\x00" not in copy
    assert stored(intake, report)["comments"][0]["photo"] == added["photo"]


def test_the_caps_refuse_and_a_refused_photo_is_not_kept(intake, report):
    comment(intake, report, "operator", "op-1", photo=RENDITION)
    kept = public_keys(intake)
    with pytest.raises(ApiError) as full:  # one photo per report
        comment(intake, stored(intake, report), "operator", "op-2", photo=RENDITION)
    assert (full.value.status, full.value.code) == (422, "comment_limit")
    comment(intake, stored(intake, report), "operator", "op-1")
    with pytest.raises(ApiError) as daily:  # two a day per author
        comment(intake, stored(intake, report), "operator", "op-1")
    assert (daily.value.status, daily.value.code) == (429, "comment_rate_limited")
    assert daily.value.details["retry_after"] > 0
    comment(intake, stored(intake, report))  # the third and last comment of the report
    with pytest.raises(ApiError) as closed:
        comment(intake, stored(intake, report), "operator", "op-3")
    assert closed.value.code == "comment_limit"
    assert len(stored(intake, report)["comments"]) == 3
    assert public_keys(intake) == kept


def test_comments_read_from_the_same_version_of_the_report_are_all_appended(intake, report):
    first = comment(intake, report, "operator", "op-1", text="satu")
    second = comment(intake, report, "operator", "op-2", text="dua")  # read before `first`
    assert [c["id"] for c in stored(intake, report)["comments"]] == [first["id"], second["id"]]


def test_a_racing_comment_over_the_cap_is_refused_after_counting_again(intake, report):
    comment(intake, report, "operator", "op-1", text="satu")
    comment(intake, report, "operator", "op-2", text="dua")
    comment(intake, report, "operator", "op-3", text="tiga")
    # Read when it had no comments; the report is full now.
    with pytest.raises(ApiError) as refused:
        comment(intake, report, "reporter", photo=RENDITION)
    assert refused.value.code == "comment_limit"
    assert len(stored(intake, report)["comments"]) == 3
    assert all("comments/" not in key for key in public_keys(intake))


def _held_by_dlh(intake: Intake, report: dict) -> dict:
    # The state routing's forward to DLH and its bare accept leave (another service's write):
    # the follow-up clock still runs.
    intake.db.reports.update_one({"_id": report["_id"]}, {
        "$set": {"status": "accepted", "version": 3, "agencies": [
            {"code": "DLH", "status": "accepted", "due_at": report["created_at"],
             "responded_at": None}]}})
    return stored(intake, report)


def test_a_comment_by_the_agency_holding_the_report_ends_its_follow_up_clock(intake, report):
    held = _held_by_dlh(intake, report)
    added = add_comment(SETTINGS, intake.db, intake.store, held, "agency_admin", "adm-1",
                        "Sudah kami jadwalkan.", None, "DLH")
    after = stored(intake, report)
    [dlh] = after["agencies"]
    assert (dlh["due_at"], dlh["responded_at"]) == (None, added["at"].replace(
        microsecond=added["at"].microsecond // 1000 * 1000))
    assert after["comments"][0]["agency"] == "DLH" and after["version"] == 4


def test_an_agency_comment_read_before_another_change_is_counted_and_planned_again(intake,
                                                                                  report):
    held = _held_by_dlh(intake, report)
    comment(intake, held, "operator", "op-1", text="satu")  # changes it after `held` was read
    add_comment(SETTINGS, intake.db, intake.store, held, "officer", "o-1", "Kami cek besok.",
                None, "DLH")
    after = stored(intake, report)
    assert [c["text"] for c in after["comments"]] == ["satu", "Kami cek besok."]
    assert after["agencies"][0]["due_at"] is None
