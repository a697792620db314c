"""The reporter's one-time code (services/intake/recovery.py) over fakes: the same answer whether
or not the contact matched, codes made from a stored nonce (never stored themselves), limited
tries, expiry, one use, a cap per report; and the notifier sends the code it makes from the
event's nonce. The real stack: tests/integration/test_tracking_links.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeEmail, FakePublisher, FakeSms, FakeStore, FakeWebhooks, fake_db
from waiting import eventually

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.messaging import Delivery
from aduan.infra.tokens import recovery_code, token_matches
from services.intake import recovery
from services.intake.app import create_app
from services.notification.senders import Senders
from services.notification.worker import Notifier

SETTINGS = Settings(public_base_url="https://aduan.example", sms_url="http://sms.invalid/send")
CODE, OTHER, MISSING = "PDG-2026-7KQ-4M9-X2A", "PDG-2026-7KQ-4M9-X2B", "PDG-2026-222-222-222"
# Now: the fake applies the TTL index on `purge_at` by the clock.
NOW = datetime.now(UTC)


def _report(report_id: str, code: str, **reporter) -> dict:
    return {"_id": report_id, "code": code, "city": "padang", "category": "waste",
            "description": "Sampah menumpuk", "status": "forwarded", "privacy": "confidential",
            "channel": "call_centre", "location": None, "created_at": NOW, "updated_at": NOW,
            "agencies": [], "history": [], "comments": [],
            "reporter": {"language": "id", **reporter}}


@pytest.fixture
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): reports as intake stored them.
    database.reports.insert_many([
        _report("a" * 32, CODE, email="Siti@Example.ID", phone="0812-3456-7890"),
        _report("b" * 32, OTHER),
    ])
    return database


@pytest.fixture
def app(db):
    publisher = FakePublisher()
    app = create_app(SETTINGS, Backends(SETTINGS, db=db, store=FakeStore(), publisher=publisher))
    app.config["publisher"] = publisher
    return app


def _nonce(db, report_id: str = "a" * 32) -> str:
    return db.tracking_recoveries.find_one({"_id": report_id})["nonce"]


def _otp(db, report_id: str = "a" * 32) -> str:
    return recovery_code(reporter_token_keys(SETTINGS), report_id, _nonce(db, report_id))


def _answer(response) -> tuple[int, dict]:
    body = response.get_json()
    body.pop("request_id", None)
    return response.status_code, body


def test_the_same_answer_whether_or_not_the_contact_matched(app, db):
    client = app.test_client()
    answers = [_answer(client.post("/tracking/recover", json={"code": code, "contact": contact}))
               for code, contact in ((CODE, "siti@example.id"), (CODE, "other@example.id"),
                                     (CODE, "+6281234567890"), (OTHER, "siti@example.id"),
                                     (MISSING, "siti@example.id"))]
    assert all(answer == answers[0] for answer in answers) and answers[0][0] == 202
    # Only the two matching requests sent something: an email, then an SMS, each a nonce.
    publisher = app.config["publisher"]
    eventually(lambda: len(publisher.bodies(recovery.RECOVERY_REQUESTED)) == 2,
               timeout_s=5, what="the two recovery events")
    bodies = publisher.bodies(recovery.RECOVERY_REQUESTED)
    assert sorted(b["channel"] for b in bodies) == ["email", "sms"]
    assert all(b["report_id"] == "a" * 32 and len(b["nonce"]) >= 20 for b in bodies)
    # Nothing stored gives the code: the nonce only (the code needs the key too); the channel
    # it went to says whose other reports the right answer lists (recovery.other_reports).
    stored = db.tracking_recoveries.find_one({"_id": "a" * 32})
    assert _otp(db) not in str(stored) and set(stored) == {
        "_id", "nonce", "expires_at", "attempts", "issued", "purge_at", "channel"}
    assert db.tracking_recoveries.find_one({"_id": "b" * 32}) is None


def _announced(app, db, report_id: str = "a" * 32) -> None:
    """Waits until the recovery's announcement is published and pulled from the report's
    outbox: the announcer thread's last write, which would otherwise race the test's own
    reads of the reports (the in-memory fake is not thread-safe)."""
    publisher = app.config["publisher"]
    eventually(lambda: publisher.bodies(recovery.RECOVERY_REQUESTED)
               and not db.reports.find_one({"_id": report_id}).get("outbox"),
               timeout_s=5, what="the recovery announced")


def test_the_right_code_gives_the_token_once(app, db):
    client = app.test_client()
    client.post("/tracking/recover", json={"code": CODE, "contact": "SITI@example.id"})
    _announced(app, db)
    otp = _otp(db)
    answer = client.post("/tracking/verify", json={"code": CODE, "otp": otp})
    assert answer.status_code == 200
    body = answer.get_json()
    assert token_matches(reporter_token_keys(SETTINGS), "a" * 32, body["token"])
    assert body["tracking_link"] == f"https://aduan.example/#/track/{CODE}/{body['token']}"
    again = client.post("/tracking/verify", json={"code": CODE, "otp": otp})
    assert (again.status_code, again.get_json()["error"]["code"]) == (422, "invalid_code")


def test_wrong_expired_and_unknown_codes_are_one_refusal(db):
    recovery.request_code(SETTINGS, db, CODE, "+62 812 3456 7890", NOW)
    wrong = "000000" if _otp(db) != "000000" else "111111"
    assert recovery.check_code(SETTINGS, db, CODE, wrong, NOW) is None
    assert recovery.check_code(SETTINGS, db, MISSING, _otp(db), NOW) is None
    assert recovery.check_code(SETTINGS, db, OTHER, _otp(db), NOW) is None
    later = NOW + recovery.RECOVERY_TTL
    assert recovery.check_code(SETTINGS, db, CODE, _otp(db), later) is None
    assert recovery.check_code(SETTINGS, db, CODE, _otp(db), NOW)["_id"] == "a" * 32


def test_five_wrong_tries_use_a_code_up(db):
    recovery.request_code(SETTINGS, db, CODE, "siti@example.id", NOW)
    otp = _otp(db)
    wrong = f"{(int(otp) + 1) % 10 ** 6:06d}"
    for _ in range(recovery.MAX_ATTEMPTS):
        assert recovery.check_code(SETTINGS, db, CODE, wrong, NOW) is None
    assert recovery.check_code(SETTINGS, db, CODE, otp, NOW) is None


def test_a_report_gets_three_codes_an_hour(db):
    nonces = []
    for minute in range(recovery.CODES_PER_WINDOW + 1):
        found = recovery.request_code(SETTINGS, db, CODE, "siti@example.id",
                                      NOW + timedelta(minutes=minute))
        nonces.append(found[1].event_body["nonce"] if found else None)
    assert all(nonces[:recovery.CODES_PER_WINDOW]) and nonces[-1] is None
    # A new code replaces the one before.
    assert _nonce(db) == nonces[recovery.CODES_PER_WINDOW - 1]
    assert recovery.request_code(SETTINGS, db, CODE, "siti@example.id",
                                 NOW + recovery.ISSUE_WINDOW + timedelta(minutes=1))


def test_bad_bodies_are_refused_and_change_nothing(app, db):
    client = app.test_client()
    for path, body in (("/tracking/recover", {"code": CODE}),
                       ("/tracking/recover", {"code": "nope", "contact": "siti@example.id"}),
                       ("/tracking/verify", {"code": CODE, "otp": "12345"}),
                       ("/tracking/verify", {"code": CODE, "otp": "123456", "token": "x"})):
        answer = client.post(path, json=body)
        assert answer.status_code == 422, (path, body)
        assert answer.get_json()["error"]["code"] == "validation_failed"
    assert db.tracking_recoveries.count_documents({}) == 0


def test_the_notifier_sends_the_code_made_from_the_nonce(db):
    email, sms = FakeEmail(), FakeSms()
    notifier = Notifier(SETTINGS, db, Senders(email, sms, FakeWebhooks()))
    for channel, message_id in (("email", "m1"), ("sms", "m2")):
        notifier.handle(Delivery(routing_key=recovery.RECOVERY_REQUESTED, message_id=message_id,
                                 body={"report_id": "a" * 32, "code": CODE, "city": "padang",
                                       "nonce": "n" * 24, "channel": channel},
                                 correlation_id=None, type=None, attempts=1))
    otp = recovery_code(reporter_token_keys(SETTINGS), "a" * 32, "n" * 24)
    [(to, message, _)] = email.sent
    # In the text only: lock screens and mail logs show subjects.
    assert to == "Siti@Example.ID" and otp not in message.subject and otp in message.text
    [(number, text)] = sms.sent
    assert number == "+6281234567890" and otp in text
    # Never a webhook, whatever is subscribed: it is not an event they may subscribe to.
    assert db.deliveries.count_documents({"channel": "webhook"}) == 0
