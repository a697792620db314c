"""The notification handlers over in-memory collaborators (tests/fakes.py): the notifier tells
each person once, the dispatcher makes webhook attempts, the digest goes out once a day, and
the HTTP service is built from its settings and a database. The integration tests prove the
same against the real broker, SMTP sink and HTTP receivers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import urllib3
from fakes import FakeEmail, FakeSms, FakeWebhooks, fake_db

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.messaging import Delivery
from aduan.infra.public_addresses import TargetRefused
from aduan.infra.tokens import reporter_token
from aduan.web.errors import PermanentError
from services.notification import signing
from services.notification.app import create_app
from services.notification.deliveries import (
    FAILED,
    SENT,
    Claim,
    DeliveryFailed,
    DeliveryLog,
    DeliveryRejected,
)
from services.notification.digest import Digest
from services.notification.senders import Senders
from services.notification.webhooks import Dispatcher
from services.notification.worker import Notifier

SETTINGS = Settings(sms_url="http://sms.invalid/send", public_base_url="https://aduan.example",
                    webhook_retry_delays_ms=(0,), webhook_max_attempts=2)
NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
REPORTER = "warga@example.id"
LIAISON = "liaison.dlh@depok.example.go.id"


def _report(**fields) -> dict:
    return {
        "_id": "r1", "code": "DPK-2026-3HW-6P2-Z9C", "city": "depok", "category": "waste",
        "description": "Sampah menumpuk", "status": "submitted", "privacy": "public",
        "location": {"lat": -6.3743, "lon": 106.823}, "kecamatan": {"code": "x", "name": "Beji"},
        "agencies": [], "created_at": NOW, "updated_at": NOW,
        "reporter": {"name": "Siti", "email": REPORTER, "phone": "081234567890",
                     "language": "id"},
        **fields,
    }


def _event(key: str, message_id: str = "m1", **body) -> Delivery:
    return Delivery(routing_key=key, body={"report_id": "r1", **body}, message_id=message_id,
                    correlation_id=None, type=None, attempts=1)


@pytest.fixture
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.agencies.insert_one({"_id": "depok:DLH", "city": "depok", "code": "DLH",
                                  "name_id": "Dinas Lingkungan Hidup",
                                  "name_en": "Environment Agency"})
    database.users.insert_one(user("u-liaison", "agency_admin", "DLH", email=LIAISON))
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.categories.insert_one({"_id": "depok:waste", "city": "depok", "code": "waste",
                                    "name_id": "Sampah", "name_en": "Waste"})
    return database


def user(user_id: str, role: str, agency: str | None = None, city: str = "depok",
         **contact) -> dict:
    """A user as POST /users stores it (gateway/users.py), written straight into the fake: the
    notifier reads users, it does not create them, and no test needs their passwords."""
    return {"_id": user_id, "username": user_id, "role": role, "city": city, "agency": agency,
            "name": None, "email": None, "phone": None, "language": "id", "disabled": False,
            **contact}


def _notifier(db, email=None, sms=None) -> Notifier:
    return Notifier(SETTINGS, db, Senders(email or FakeEmail(), sms or FakeSms(),
                                          FakeWebhooks()))


# ---- the notifier ----------------------------------------------------------------------------

def test_the_reporter_hears_of_a_step_by_email_and_sms_once(db):
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report())
    email, sms = FakeEmail(), FakeSms()
    notifier = _notifier(db, email, sms)
    notifier.handle(_event("report.submitted", status="submitted"))
    [(to, message, message_id)] = email.sent
    assert to == REPORTER
    assert message.subject == "Laporan DPK-2026-3HW-6P2-Z9C: diterima"
    # The console's tracking page with the reporter's own token in the fragment.
    link = ("https://aduan.example/#/track/DPK-2026-3HW-6P2-Z9C/"
            f"{reporter_token(reporter_token_keys(SETTINGS), 'r1')}")
    assert link in message.text
    assert message_id.startswith("m1.email.")
    assert sms.sent == [("+6281234567890", "Aduan: laporan DPK-2026-3HW-6P2-Z9C diterima. "
                         f"Lihat {link}")]
    logged = {d["channel"]: d for d in db.deliveries.find()}
    assert {d["result"] for d in logged.values()} == {"sent"}
    assert logged["email"]["recipient"] == "w***@example.id"

    notifier.handle(_event("report.submitted", status="submitted"))  # the broker's redelivery
    assert len(email.sent) == 1 and len(sms.sent) == 1


def test_a_failed_send_retries_the_event_without_repeating_what_was_sent(db):
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report())
    email, sms = FakeEmail(), FakeSms(DeliveryFailed("HTTP 503"))
    notifier = _notifier(db, email, sms)
    with pytest.raises(DeliveryFailed):
        notifier.handle(_event("report.submitted", status="submitted"))
    assert db.deliveries.find_one({"channel": "sms"})["result"] == "failed"
    notifier.handle(_event("report.submitted", status="submitted"))
    assert len(email.sent) == 1 and len(sms.sent) == 1
    sms_log = db.deliveries.find_one({"channel": "sms"})
    assert (sms_log["result"], sms_log["attempts"]) == ("sent", 2)


def test_a_refused_recipient_is_logged_and_not_retried(db):
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report(reporter={"email": REPORTER}))
    email = FakeEmail(DeliveryRejected("SMTP RCPT 550"))
    _notifier(db, email).handle(_event("report.submitted", status="submitted"))
    logged = db.deliveries.find_one({"channel": "email"})
    assert (logged["result"], logged["error"]) == ("rejected", "SMTP RCPT 550")
    assert email.sent == []


def test_liaisons_hear_of_a_forward_without_an_anonymous_reporter(db):
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report(status="forwarded", privacy="anonymous",
                                  agencies=[{"code": "DLH", "status": "forwarded"}]))
    email = FakeEmail()
    _notifier(db, email).handle(_event("report.forwarded", status="forwarded",
                                       agencies=["DLH"]))
    [to_liaison] = email.to(LIAISON)
    assert to_liaison.subject == \
        "Laporan baru untuk Dinas Lingkungan Hidup: DPK-2026-3HW-6P2-Z9C"
    assert "Pelapor: dirahasiakan (laporan anonim)" in to_liaison.text
    assert "Siti" not in to_liaison.text
    [to_reporter] = email.to(REPORTER)
    assert "Instansi yang menangani: Dinas Lingkungan Hidup." in to_reporter.text


def test_events_that_cannot_be_delivered_once_are_refused(db):
    notifier = _notifier(db)
    without_id = Delivery(routing_key="report.submitted", body={"report_id": "r1"},
                          message_id=None, correlation_id=None, type=None, attempts=1)
    with pytest.raises(PermanentError):
        notifier.handle(without_id)
    with pytest.raises(PermanentError):
        notifier.handle(_event("report.submitted", status="submitted"))  # no such report
    notifier.handle(_event("report.deleted"))  # not an event the service hears
    notifier.handle(_event("report.verified", status="verified"))  # news to no one
    assert db.deliveries.count_documents({}) == 0


def _subscribe(db, **fields) -> None:
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.webhook_subscriptions.insert_one({
        "_id": "s1", "url": "https://hooks.example/aduan", "secret": "s3cret-s3cret-s3cret",
        "events": ["report.forwarded"], "city": "depok", "agency": None, "owner": "city",
        "active": True, "created_at": NOW, **fields})


def test_a_subscribed_event_schedules_one_webhook_delivery(db):
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report(status="forwarded",
                                  agencies=[{"code": "DLH", "status": "forwarded"}]))
    _subscribe(db)
    notifier = _notifier(db)
    for _ in range(2):  # the broker's redelivery adds nothing
        notifier.handle(_event("report.forwarded", status="forwarded", agencies=["DLH"]))
    [scheduled] = db.deliveries.find({"channel": "webhook"})
    assert (scheduled["_id"], scheduled["result"]) == ("m1:webhook:s1", "pending")
    assert scheduled["recipient"] == "https://hooks.example/…"


# ---- the webhook dispatcher ------------------------------------------------------------------

def _dispatcher(db, webhooks: FakeWebhooks) -> Dispatcher:
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report(status="forwarded",
                                  agencies=[{"code": "DLH", "status": "forwarded"}]))
    _subscribe(db)
    _notifier(db).handle(_event("report.forwarded", status="forwarded", agencies=["DLH"]))
    return Dispatcher(SETTINGS, db, webhooks)


def test_the_dispatcher_posts_a_signed_delivery_once(db):
    webhooks = FakeWebhooks(200)
    dispatcher = _dispatcher(db, webhooks)
    try:
        assert dispatcher.run_once() == ["sent"]
        assert dispatcher.run_once() == []  # nothing due any more
    finally:
        dispatcher.close()
    [(url, body, headers)] = webhooks.requests
    assert url == "https://hooks.example/aduan"
    assert headers[signing.DELIVERY_HEADER] == "m1:webhook:s1"
    assert signing.verify_signature("s3cret-s3cret-s3cret", headers[signing.SIGNATURE_HEADER],
                                    body)
    assert db.deliveries.find_one({"_id": "m1:webhook:s1"})["provider_status"] == "HTTP 200"


def test_a_failing_receiver_is_retried_then_parked(db):
    webhooks = FakeWebhooks(503, urllib3.exceptions.ReadTimeoutError(None, "/", "timed out"))
    dispatcher = _dispatcher(db, webhooks)
    try:
        assert dispatcher.run_once() == ["pending"]
        assert dispatcher.run_once() == ["parked"]  # webhook_max_attempts = 2
    finally:
        dispatcher.close()
    parked = db.deliveries.find_one({"_id": "m1:webhook:s1"})
    assert (parked["attempts"], parked["error"]) == (2, "ReadTimeoutError")


def test_a_refused_address_parks_and_an_unresolvable_one_is_retried(db):
    webhooks = FakeWebhooks(TargetRefused("webhook_host_unresolvable", "no DNS answer"),
                            TargetRefused("webhook_host_not_allowed", "a private address"))
    dispatcher = _dispatcher(db, webhooks)
    try:
        assert dispatcher.run_once() == ["pending"]
        assert dispatcher.run_once() == ["parked"]
    finally:
        dispatcher.close()
    assert db.deliveries.find_one({"_id": "m1:webhook:s1"})["error"] == "host_not_allowed"
    assert webhooks.requests == []


def test_a_deleted_subscription_cancels_its_delivery(db):
    dispatcher = _dispatcher(db, FakeWebhooks())
    # As DELETE /webhooks leaves it: the dispatcher is tested alone, without the API.
    db.webhook_subscriptions.update_one({"_id": "s1"}, {"$set": {"active": False}})
    try:
        assert dispatcher.run_once() == ["cancelled"]
    finally:
        dispatcher.close()


# ---- the digest ------------------------------------------------------------------------------

def test_the_digest_goes_to_each_leader_once_a_day(db):
    # Users as the user API stores them (see `user`): a leader, the heads of DLH and PUPR.
    db.users.insert_many([
        user("l1", "leader", email="walikota@depok.example.go.id", language="en"),
        user("l2", "agency_head", "PUPR", email="kepala.pupr@depok.example.go.id"),
        user("l4", "agency_head", "DLH", email="kepala.dlh@depok.example.go.id"),
        user("l3", "leader", email="mantan@depok.example.go.id", disabled=True),
    ])
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(_report(status="forwarded", agencies=[
        {"code": "DLH", "status": "forwarded", "forwarded_at": NOW - timedelta(hours=2),
         "due_at": NOW - timedelta(hours=1)}]))
    email = FakeEmail()
    digest = Digest(SETTINGS, db, email)
    run = digest.send("depok", NOW)
    assert (run.sent, run.skipped, run.failed) == (3, 0, 0)
    [to_mayor] = email.to("walikota@depok.example.go.id")
    assert to_mayor.subject == f"Aduan daily digest for Kota Depok, {run.day}"
    assert "Environment Agency (DLH)\nNot yet accepted: 1\nAccepted / in progress: 0" \
        in to_mayor.text
    assert "Overdue: 1" in to_mayor.text
    [to_head] = email.to("kepala.dlh@depok.example.go.id")
    assert "Dinas Lingkungan Hidup (DLH)\nBelum diterima: 1" in to_head.text
    [to_other_head] = email.to("kepala.pupr@depok.example.go.id")  # no PUPR row in this fake
    assert "(DLH)" not in to_other_head.text
    again = digest.send("depok", NOW + timedelta(minutes=5))
    assert (again.sent, again.skipped) == (0, 3)
    assert len(email.sent) == 3


def test_a_digest_that_failed_is_sent_on_the_next_run(db):
    # A user as the user API stores it (see `user`).
    db.users.insert_one(user("l1", "leader", email="walikota@depok.example.go.id"))
    email = FakeEmail(DeliveryFailed("SMTP unreachable: ConnectionRefusedError"))
    digest = Digest(SETTINGS, db, email)
    assert digest.send("depok", NOW).failed == 1
    assert digest.send("depok", NOW).sent == 1
    assert "Belum ada laporan" not in email.sent[0][1].text  # DLH is listed, with zeros
    assert "Dinas Lingkungan Hidup (DLH)" in email.sent[0][1].text


# ---- the HTTP service ------------------------------------------------------------------------

def test_the_service_is_built_from_its_settings_and_database(db):
    app = create_app(SETTINGS, Backends(SETTINGS, db=db))
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "service": "notification"}
    refused = client.get("/webhooks")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "authentication_required"
    assert {rule.rule for rule in app.url_map.iter_rules()} >= {
        "/webhooks", "/webhooks/<subscription_id>", "/webhook-deliveries",
        "/webhook-deliveries/<delivery_id>/redeliver", "/reports/<code>/deliveries"}


def test_results_written_together_are_each_recorded_as_their_sender_had_it() -> None:
    """Senders finishing at once share the result writes (deliveries.py `_GroupWriter`): each
    delivery still gets its own result and provider status, once, under its own lease."""
    db = fake_db()
    deliveries = DeliveryLog(db, 60)

    def deliver(n: int) -> None:
        claimed = deliveries.claim(f"m{n}:email:k", {"report_id": f"r{n}", "channel": "email"})
        assert claimed.outcome is Claim.MINE and claimed.token
        result = SENT if n % 4 else FAILED
        deliveries.finish(f"m{n}:email:k", claimed.token, result, f"250 OK {n}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(deliver, range(32)))
    for n in range(32):
        written = db.deliveries.find_one({"_id": f"m{n}:email:k"})
        assert written["result"] == (SENT if n % 4 else FAILED)
        assert written["provider_status"] == f"250 OK {n}" and "lease_token" not in written
    assert deliveries.claim("m1:email:k", {}).outcome is Claim.DONE
    assert deliveries.claim("m4:email:k", {}).outcome is Claim.MINE  # a failure: tried again


class _Interrupted(BaseException):
    """Not an Exception: what a KeyboardInterrupt or a thread's exit raises mid-write."""


def test_a_group_write_interrupted_lets_the_next_results_be_written() -> None:
    """A write cut short by a BaseException still hands the turn on: the next result is
    written, not left waiting for a write that will never finish."""
    from threading import Thread

    from pymongo import UpdateOne

    from services.notification.deliveries import _GroupWriter

    db = fake_db()
    db.deliveries.insert_one({"_id": "d1", "result": "sending"})

    class OnceInterrupted:
        calls = 0

        def bulk_write(self, updates: list[UpdateOne], ordered: bool = True) -> None:
            OnceInterrupted.calls += 1
            if OnceInterrupted.calls == 1:
                raise _Interrupted()
            db.deliveries.bulk_write(updates, ordered=ordered)

    writer = _GroupWriter(OnceInterrupted())  # type: ignore[arg-type]
    with pytest.raises(_Interrupted):
        writer.write(UpdateOne({"_id": "d1"}, {"$set": {"result": "failed"}}))
    after = Thread(target=writer.write,
                   args=(UpdateOne({"_id": "d1"}, {"$set": {"result": SENT}}),), daemon=True)
    after.start()
    after.join(10)  # written at once when the turn was handed on; without it, never
    assert not after.is_alive()
    assert db.deliveries.find_one({"_id": "d1"})["result"] == SENT
