"""The comment caps: per report (all authors) and per author per 24 hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aduan.infra.config import Settings
from aduan.web.errors import ApiError
from services.intake.comments import check_limits

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SETTINGS = replace(Settings(), comments_per_report=4, comment_photos_per_report=2,
                   comments_per_author_per_day=2, comment_photos_per_author_per_day=1)


def _comment(author: str, hours_ago: float, photo: bool = False) -> dict:
    return {"by": "reporter" if author == "reporter" else "operator",
            "author_id": None if author == "reporter" else author,
            "at": NOW - timedelta(hours=hours_ago), **({"photo": {"key": "k"}} if photo else {})}


def _refused(comments: list[dict], author: str, photo: bool) -> tuple[int, str] | None:
    try:
        check_limits(SETTINGS, comments, author, photo, NOW)
    except ApiError as err:
        return err.status, err.code
    return None


def test_a_full_report_takes_no_more_comments_from_anyone():
    full = [_comment(f"u{n}", 30) for n in range(4)]
    assert _refused(full, "someone-new", False) == (422, "comment_limit")
    photos = [_comment("a", 30, photo=True), _comment("b", 30, photo=True)]
    assert _refused(photos, "c", True) == (422, "comment_limit")
    assert _refused(photos, "c", False) is None


def test_an_author_waits_a_day_after_their_daily_comments():
    two_today = [_comment("reporter", 1), _comment("reporter", 23)]
    assert _refused(two_today, "reporter", False) == (429, "comment_rate_limited")
    assert _refused(two_today, "staff-1", False) is None  # another author
    yesterday = [_comment("reporter", 25), _comment("reporter", 23)]
    assert _refused(yesterday, "reporter", False) is None
    assert _refused([_comment("reporter", 2, photo=True)], "reporter", True) == \
        (429, "comment_rate_limited")
    assert _refused([_comment("reporter", 2, photo=True)], "reporter", False) is None


def test_the_wait_ends_when_the_oldest_counted_comment_is_a_day_old():
    with pytest.raises(ApiError) as refused:
        check_limits(SETTINGS, [_comment("reporter", 20), _comment("reporter", 1)],
                     "reporter", False, NOW)
    assert refused.value.details["retry_after"] == 4 * 3600
