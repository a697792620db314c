"""The leaders' daily digest as it runs by itself: the "not yet forwarded" row and the loop's
passes (once per city and local day, at the city's hour in its own time zone). Who gets it and
the agencies' rows: tests/unit/test_notification_handlers.py; the figures:
tests/unit/test_figures.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeEmail, fake_db

from aduan.infra.config import Settings
from services.notification.deliveries import DeliveryFailed
from services.notification.digest import Digest, due, run_due

SETTINGS = Settings(public_base_url="https://aduan.example", digest_hour=7)
# 07:30 in Jakarta (WIB, UTC+7) is 08:30 in Kotamobagu (WITA, UTC+8).
NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
H = timedelta(hours=1)


def _user(user_id: str, role: str, city: str, agency: str | None = None, **contact) -> dict:
    """A user as POST /users stores it (gateway/users.py)."""
    return {"_id": user_id, "username": user_id, "role": role, "city": city, "agency": agency,
            "name": None, "email": None, "phone": None, "language": "en", "disabled": False,
            **contact}


def _waiting(key: str, status: str, created: datetime, due_at: datetime) -> dict:
    return {"_id": key, "code": key, "city": "depok", "category": "waste", "status": status,
            "created_at": created, "forward_due_at": due_at, "agencies": [], "history": []}


@pytest.fixture
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): the users, agency and reports are
    # what the user API, the catalogue and earlier steps of the pipeline would have left.
    database.agencies.insert_one({"_id": "depok:DLH", "city": "depok", "code": "DLH",
                                  "name_id": "Dinas Lingkungan Hidup",
                                  "name_en": "Environment Agency"})
    database.users.insert_many([
        _user("mayor", "leader", "depok", email="walikota@depok.example.go.id"),
        _user("head", "agency_head", "depok", "DLH", email="kepala.dlh@depok.example.go.id"),
        _user("ktg", "leader", "kotamobagu", email="walikota@kotamobagu.example.go.id"),
    ])
    database.reports.insert_many([
        _waiting("w1", "verified", NOW - 2 * H, NOW + 48 * H),
        _waiting("w2", "needs_review", NOW - 100 * H, NOW - 10 * H),  # past its deadline
        _waiting("w3", "postponed", NOW - 100 * H, NOW - 10 * H),  # the clock is stopped
        _waiting("w4", "forwarded", NOW - 100 * H, NOW - 10 * H),  # forwarded: not counted
    ])
    return database


def test_city_wide_leaders_get_a_not_yet_forwarded_row_heads_do_not(db):
    email = FakeEmail()
    run = Digest(SETTINGS, db, email).send("depok", NOW)
    assert run.sent == 2
    [to_mayor] = email.to("walikota@depok.example.go.id")
    assert "Not yet forwarded (operators)\nNot yet accepted: 2\nAccepted / in progress: -" \
        in to_mayor.text
    assert "New (24 h): 1\nOverdue: 1" in to_mayor.text
    [to_head] = email.to("kepala.dlh@depok.example.go.id")
    assert "Not yet forwarded" not in to_head.text and "(DLH)" in to_head.text


def test_the_awaiting_figures_in_the_dry_run(db):
    waiting = Digest(SETTINGS, db, FakeEmail()).awaiting("depok", NOW)
    assert (waiting.waiting, waiting.overdue, waiting.new_24h, waiting.oldest_h) == (
        2, 1, 1, 100.0)


def test_each_city_is_due_at_its_own_local_hour():
    assert due("kotamobagu", NOW, 8, set())        # 08:30 WITA
    assert not due("depok", NOW, 8, set())         # 07:30 WIB
    assert due("depok", NOW, 7, set())
    assert not due("depok", NOW, 7, {("depok", "2026-11-23")})
    # The next local day it is due again.
    assert due("depok", NOW + 24 * H, 7, {("depok", "2026-11-23")})


def test_the_loop_sends_each_city_once_a_day_and_retries_a_failure(db):
    email = FakeEmail(DeliveryFailed("SMTP unreachable"))
    digest = Digest(SETTINGS, db, email)
    done: set[tuple[str, str]] = set()
    run_due(digest, ["depok", "kotamobagu"], NOW, done)
    # Depok's first delivery failed: Depok is tried again on the next pass, Kotamobagu not.
    assert done == {("kotamobagu", "2026-11-23")}
    run_due(digest, ["depok", "kotamobagu"], NOW + timedelta(minutes=1), done)
    assert ("depok", "2026-11-23") in done
    count = len(email.sent)
    run_due(digest, ["depok", "kotamobagu"], NOW + 2 * H, done)  # nothing more today
    assert len(email.sent) == count
    assert {to for to, _, _ in email.sent} >= {"walikota@depok.example.go.id",
                                            "kepala.dlh@depok.example.go.id",
                                            "walikota@kotamobagu.example.go.id"}
