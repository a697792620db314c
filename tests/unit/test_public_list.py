"""Intake's public list (services/intake/queries.py, views.py) on an in-memory database: the
visibility rule holds whatever the query asks, and the filters Open311 reads it with (codes,
the receipt's id, exact moments, full rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes import fake_db

from aduan.contracts.queries import PublicListQuery
from aduan.web.errors import ApiError
from aduan.web.validation import validate
from services.intake.queries import public_filter
from services.intake.views import expected_at, public_row

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _report(n: int, status: str = "forwarded", privacy: str = "public", **changes) -> dict:
    created = NOW - timedelta(days=n)
    return {"_id": f"{n:032x}", "code": f"PDG-2026-{n:06d}", "city": "padang",
            "category": "waste", "description": "Sampah", "status": status, "privacy": privacy,
            "channel": "app", "location": {"lat": -0.9, "lon": 100.4, "address": "Jl. A"},
            "kecamatan": None, "created_at": created, "updated_at": created,
            "reporter": {"name": "Siti", "email": "siti@example.id"},
            "history": [{"note": "internal"}],
            "photos": [{"id": "p1"}, {"id": "p2", "public_key": "k"}], **changes}


@pytest.fixture()
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.reports.insert_many([
        _report(1), _report(2, privacy="anonymous"), _report(3, privacy="confidential"),
        _report(4, status="needs_review"), _report(5, status="resolved"),
        _report(6, city="depok"),
    ])
    return database


def _codes(db, **params: str) -> set[str]:
    query = validate(PublicListQuery, params)
    return {r["code"] for r in db.reports.find(public_filter(query, "padang", WIB))}


def test_no_query_widens_the_public_rule(db):
    public = {"PDG-2026-000001", "PDG-2026-000002", "PDG-2026-000005"}
    assert _codes(db) == public
    assert _codes(db, status="needs_review,forwarded") == {"PDG-2026-000001",
                                                           "PDG-2026-000002"}
    hidden = ",".join(f"PDG-2026-{n:06d}" for n in (1, 3, 4, 6))
    assert _codes(db, code=hidden) == {"PDG-2026-000001"}
    assert _codes(db, id=f"{3:032x}") == set()
    assert _codes(db, id=f"{2:032x}") == {"PDG-2026-000002"}


def test_creation_between_two_moments_inclusive(db):
    since, until = NOW - timedelta(days=2), NOW - timedelta(days=1)
    assert _codes(db, created_since=since.isoformat(), created_until=until.isoformat()) == {
        "PDG-2026-000001", "PDG-2026-000002"}
    assert _codes(db, created_since=since.isoformat(), **{"from": "2026-11-22"}) == {
        "PDG-2026-000001"}  # the later lower bound counts


@pytest.mark.parametrize("params", [{"code": "PDG-2026-000001;x"}, {"id": "../x"},
                                    {"created_since": "2026-11-01T00:00:00"},
                                    {"detail": "everything"}])
def test_bad_filters_are_refused(params):
    with pytest.raises(ApiError) as refused:
        validate(PublicListQuery, params)
    assert refused.value.status in (400, 422)


def test_a_full_row_is_the_public_view_and_the_deadline_running():
    due = NOW + timedelta(days=3)
    report = _report(1, agencies=[{"code": "DLH", "status": "accepted", "due_at": due}],
                     forward_due_at=NOW)
    row = public_row(report, "http://gw")
    assert row["expected_at"] == due.isoformat()
    assert row["photos"] == [{"url": "http://gw/api/v1/reports/PDG-2026-000001/photos/2",
                              "thumbnail_url":
                                  "http://gw/api/v1/reports/PDG-2026-000001/photos/2/thumbnail"}]
    assert "reporter" not in row and "history" not in row and "internal" not in repr(row)


def test_the_forwarding_deadline_is_expected_until_an_agency_has_one():
    assert expected_at(_report(1, agencies=[], forward_due_at=NOW)) == NOW
    assert expected_at(_report(1, agencies=[], forward_due_at=None)) is None


def test_a_moment_beyond_the_datetime_range_excludes_nothing(db):
    assert _codes(db, created_since="0001-01-01T00:00:00+07:00",
                  created_until="9999-12-31T23:59:59-07:00") == _codes(db)
