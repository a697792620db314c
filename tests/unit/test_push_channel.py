"""Web Push without the stack: the VAPID key pair and its production rule, the checks a
subscription must pass, the words of a notification, and who of a report's devices hears which
event (planned over the in-memory database of tests/fakes.py). tests/integration/
test_push_notifications.py sends them for real, to the suite's push service."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fakes import fake_db

from aduan.infra import public_addresses, secret_policy
from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.public_addresses import TargetRefused
from services.notification import push_subscriptions, vapid_keys
from services.notification.app import create_app
from services.notification.deliveries import DeliveryFailed, DeliveryRejected
from services.notification.push import PushChannel
from services.notification.push_subscriptions import SubscriptionRefused, checked
from services.notification.push_texts import comment_texts, status_texts
from services.notification.vapid_keys import VapidKeyInvalid, b64url

PRIVATE, PUBLIC = vapid_keys.generate()
SETTINGS = Settings(vapid_private_key=PRIVATE, vapid_public_key=PUBLIC,
                    push_allowed_hosts="127.0.0.1", push_private_hosts="127.0.0.1")
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def browser_keys() -> dict[str, str]:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(point), "auth": b64url(b"0123456789abcdef")}


# ---- keys ----------------------------------------------------------------------------------

def test_a_generated_pair_is_read_back_and_its_public_key_checked() -> None:
    keys = vapid_keys.from_settings(SETTINGS)
    assert keys is not None and keys.public_key == PUBLIC and len(PRIVATE) == 43
    derived = vapid_keys.from_settings(replace(SETTINGS, vapid_public_key=""))
    assert derived is not None and derived.public_key == PUBLIC
    pem = vapid_keys.load_private(PRIVATE).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    from_pem = vapid_keys.from_settings(replace(SETTINGS, vapid_private_key=pem))
    assert from_pem is not None and from_pem.public_key == PUBLIC
    assert vapid_keys.from_settings(Settings()) is None  # push off


@pytest.mark.parametrize("private, public", [
    ("not-a-key", ""), (b64url(b"\x00" * 32), ""), (b64url(b"\x01" * 31), ""),
    (PRIVATE, vapid_keys.generate()[1]),
])
def test_a_bad_or_mismatched_key_is_refused(private: str, public: str) -> None:
    with pytest.raises(VapidKeyInvalid):
        vapid_keys.from_settings(replace(SETTINGS, vapid_private_key=private,
                                         vapid_public_key=public))


def _production_problems(**environ: str) -> list[str]:
    base = {"ADUAN_JWT_SECRET": "1f" * 32, "ADUAN_TOKEN_SECRET": "2e" * 32,
            "ADUAN_S3_SECRET_KEY": "3d" * 16, "ADUAN_DELIVERY_HASH_SECRET": "5f" * 32,
            "ADUAN_AMQP_URL": f"amqp://aduan:{'4c' * 16}@rabbitmq:5672/%2F",
            "ADUAN_VAPID_SUBJECT": "mailto:pengaduan@padang.go.id", **environ}
    names = {f"ADUAN_{f.name.upper()}": f.name for f in fields(Settings)}
    settings = Settings(env="production", **{names[k]: v for k, v in base.items()
                                             if k in names})
    return [p.split()[0] for p in secret_policy.problems(settings, base)]


def test_production_needs_the_private_key_once_push_is_on() -> None:
    assert _production_problems() == []  # push off: nothing asked
    assert _production_problems(ADUAN_VAPID_PUBLIC_KEY=PUBLIC) == ["ADUAN_VAPID_PRIVATE_KEY"]
    assert _production_problems(ADUAN_VAPID_PUBLIC_KEY=PUBLIC,
                                ADUAN_VAPID_PRIVATE_KEY=PRIVATE) == []
    assert _production_problems(ADUAN_VAPID_PUBLIC_KEY=PUBLIC,
                                ADUAN_VAPID_PRIVATE_KEY="CHANGE-ME") == [
        "ADUAN_VAPID_PRIVATE_KEY"]
    assert _production_problems(ADUAN_VAPID_PRIVATE_KEY="short") == ["ADUAN_VAPID_PRIVATE_KEY"]


# ---- subscriptions -------------------------------------------------------------------------

def test_a_browsers_subscription_is_taken() -> None:
    keys = browser_keys()
    found = checked(SETTINGS, {"endpoint": "http://127.0.0.1:9/push/a", "expirationTime": None,
                               "keys": {**keys, "p256dh": keys["p256dh"] + "="}})
    assert found.endpoint == "http://127.0.0.1:9/push/a"
    assert found.p256dh == keys["p256dh"]  # padding dropped


@pytest.mark.parametrize("raw, code, field", [
    (None, "invalid_push_subscription", "subscription"),
    ({"endpoint": 5, "keys": {}}, "invalid_push_endpoint", "subscription.endpoint"),
    ({"endpoint": "http://127.0.0.1/\npush", "keys": {}}, "invalid_push_endpoint",
     "subscription.endpoint"),
    ({"endpoint": "http://localhost/push/a"}, "push_endpoint_not_https",
     "subscription.endpoint"),
    ({"endpoint": "https://169.254.169.254/latest"}, "push_address_not_allowed",
     "subscription.endpoint"),
    ({"endpoint": "https://fcm.googleapis.com/fcm/send/x"}, "push_host_not_allowed",
     "subscription.endpoint"),
    ({"endpoint": "http://127.0.0.1/push/a", "keys": []}, "invalid_push_keys",
     "subscription.keys"),
    ({"endpoint": "http://127.0.0.1/push/a", "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
     "invalid_push_keys", "subscription.keys.p256dh"),
])
def test_a_bad_subscription_is_refused_with_a_stable_code(raw, code: str, field: str) -> None:
    with pytest.raises(SubscriptionRefused) as refused:
        checked(SETTINGS, raw)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_the_endpoint_is_never_written_out_whole() -> None:
    endpoint = "https://fcm.googleapis.com/fcm/send/secret-device-token"
    masked = push_subscriptions.mask_endpoint(endpoint)
    assert masked.startswith("push:fcm.googleapis.com#") and "secret" not in masked
    assert secret_key_free(push_subscriptions.endpoint_key(endpoint), endpoint)


def secret_key_free(key: str, endpoint: str) -> bool:
    return len(key) == 32 and "secret" not in key and key != endpoint


# ---- words and audiences -------------------------------------------------------------------

def test_texts_say_the_step_in_the_subscribers_language() -> None:
    assert status_texts("id", "reporter", "PDG-1", "in_progress", "complaint", True) == (
        "PDG-1: Dikerjakan",
        "Status laporan Anda sekarang: sedang dikerjakan. Ada tanggapan petugas; buka untuk "
        "membacanya.")
    assert status_texts("en", "follower", "PDG-1", "resolved", "complaint", False) == (
        "PDG-1: Resolved", "The report you follow is now resolved.")
    assert comment_texts("xx", "follower", "PDG-1", "DLH")[1] == (
        "DLH menanggapi laporan yang Anda ikuti. Buka untuk membacanya.")


def _world(privacy: str = "public") -> tuple[PushChannel, dict]:
    db = fake_db()
    report = {"_id": "r1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang", "status": "accepted",
              "privacy": privacy, "type": "complaint", "description": "Sampah di depan rumah Siti",
              "reporter": {"name": "Siti", "email": "siti@example.id"}, "history": [],
              "comments": [{"id": "c1", "by": "agency_admin", "agency": "DLH", "text": "Besok"},
                           {"id": "c2", "by": "reporter", "text": "Terima kasih"}]}
    # A unit test over the in-memory fake: the subscriptions as POST /reports/<code>/push
    # stores them (the stack test makes them through the API).
    for role, language in (("reporter", "id"), ("follower", "en")):
        push_subscriptions.subscribe(db, report, role, push_subscriptions.Subscription(
            f"http://127.0.0.1:9/push/{role}", **browser_keys()), language, PUBLIC)
    channel = PushChannel.from_settings(SETTINGS, db)
    assert channel is not None
    return channel, marked(report)


def marked(report: dict) -> dict:
    """The report as subscribing left it (marked as having devices; the fake holds no report)."""
    return {**report, push_subscriptions.REPORT_FLAG: True}


def _heard(channel: PushChannel, report: dict, key: str, **body) -> dict[str, dict]:
    return {n.audience: n.push.payload for n in channel.plan(key, {"report_id": "r1", **body},
                                                            report) if n.push}


def test_both_devices_hear_a_public_step_without_anything_of_the_reporter() -> None:
    channel, report = _world()
    heard = _heard(channel, report, "report.status_changed", status="accepted")
    assert set(heard) == {"reporter", "follower"}
    for payload in heard.values():
        assert set(payload) == {"code", "title", "body", "url", "stage", "status"}
        assert "Siti" not in str(payload) and payload["url"] == "/#/track/PDG-2026-AAA-BBB-CCC"
    assert heard["follower"]["body"] == "The report you follow is now accepted by the agency."


def test_a_step_only_the_reporter_is_told_of_stays_theirs() -> None:
    channel, report = _world()
    assert set(_heard(channel, report, "report.rejected", status="rejected")) == {"reporter"}
    assert _heard(channel, report, "report.verified", status="verified") == {}
    assert _heard(channel, report, "report.sla_breached") == {}


def test_a_confidential_reports_followers_hear_nothing() -> None:
    channel, report = _world("confidential")
    assert set(_heard(channel, report, "report.status_changed", status="accepted")) == {
        "reporter"}
    assert set(_heard(channel, report, "report.commented", comment_id="c1")) == {"reporter"}


def test_staff_comments_are_heard_and_the_reporters_own_are_not() -> None:
    channel, report = _world()
    heard = _heard(channel, report, "report.commented", comment_id="c1")
    assert set(heard) == {"reporter", "follower"} and "Besok" not in str(heard)
    assert _heard(channel, report, "report.commented", comment_id="c2") == {}


# ---- the HTTP service ------------------------------------------------------------------------

def test_without_a_key_push_is_off_and_says_so() -> None:
    app = create_app(Settings(), Backends(Settings(), db=fake_db()))
    client = app.test_client()
    for answer in (client.get("/push/key"),
                   client.post("/reports/PDG-2026-AAA-BBB-CCC/push", json={})):
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "push_disabled"
    on = create_app(SETTINGS, Backends(SETTINGS, db=fake_db())).test_client()
    assert on.get("/push/key").get_json() == {"public_key": PUBLIC}


def test_a_service_with_a_broken_key_does_not_start() -> None:
    broken = replace(SETTINGS, vapid_public_key=vapid_keys.generate()[1])
    with pytest.raises(VapidKeyInvalid):
        create_app(broken, Backends(broken, db=fake_db()))


def test_a_device_whose_keys_cannot_be_used_is_refused_for_good() -> None:
    channel, report = _world()
    [notice, _] = channel.plan("report.status_changed", {"status": "accepted"}, report)
    assert notice.push is not None
    broken = replace(notice.push, p256dh=b64url(b"\x04" + b"\x00" * 64))
    with pytest.raises(DeliveryRejected, match="keys cannot be used"):
        channel.send(broken)


# ---- which hosts, which devices --------------------------------------------------------------

PRODUCTION = replace(SETTINGS, env="production", push_allowed_hosts="", push_private_hosts="")


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every name resolves to a public address, unless the test says otherwise."""
    answers: dict[str, list[str]] = {}

    def lookup(host: str, port: int) -> list[str]:
        found = answers.get(host, ["93.184.216.34"])
        if not found:
            raise OSError("no such name")
        return found

    monkeypatch.setattr(public_addresses, "_lookup", lookup)
    return answers


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/abc",
    "https://wns2-sg2p.notify.windows.com/w/?token=abc",
    "https://web.push.apple.com/QK3abc",
    "https://api.push.apple.com/3/device/abc",
])
def test_production_takes_the_known_push_services_and_their_regional_hosts(
        endpoint: str, public_dns) -> None:
    assert push_subscriptions.resolve_endpoint(PRODUCTION, endpoint).host
    listed = replace(PRODUCTION, push_allowed_hosts=".notify.windows.com,.push.apple.com,"
                                                    "fcm.googleapis.com,"
                                                    "updates.push.services.mozilla.com")
    assert push_subscriptions.resolve_endpoint(listed, endpoint).host


@pytest.mark.parametrize("settings, endpoint, code", [
    (PRODUCTION, "https://push.attacker.example/abc", "push_host_not_allowed"),
    (PRODUCTION, "https://push.apple.com.attacker.example/abc", "push_host_not_allowed"),
    (PRODUCTION, "https://notify.windows.com.evil/abc", "push_host_not_allowed"),
    (PRODUCTION, "https://fcm.googleapis.com:8443/fcm/send/abc", "push_port_not_allowed"),
    (PRODUCTION, "https://web.push.apple.com:22/abc", "push_port_not_allowed"),
    (replace(PRODUCTION, push_allowed_hosts=".push.apple.com"),
     "https://fcm.googleapis.com/fcm/send/abc", "push_host_not_allowed"),
])
def test_production_refuses_other_hosts_and_ports(settings: Settings, endpoint: str, code: str,
                                                  public_dns) -> None:
    with pytest.raises(TargetRefused) as refused:
        push_subscriptions.resolve_endpoint(settings, endpoint)
    assert refused.value.code == code


def test_outside_production_an_empty_list_is_any_public_host_on_any_port(public_dns) -> None:
    anywhere = replace(PRODUCTION, env="development")
    assert push_subscriptions.resolve_endpoint(anywhere, "https://push.other.id:8443/x").port \
        == 8443


def _report(number: int) -> dict:
    return {"_id": f"r{number}", "code": f"PDG-2026-AAA-BBB-{number:03d}", "city": "padang"}


def _device(endpoint: str) -> push_subscriptions.Subscription:
    return push_subscriptions.Subscription(endpoint, **browser_keys())


def test_followers_filling_a_report_never_lock_its_reporter_out(monkeypatch) -> None:
    monkeypatch.setattr(push_subscriptions, "MAX_FOLLOWERS_PER_REPORT", 3)
    db, report = fake_db(), _report(1)
    for n in range(3):
        push_subscriptions.subscribe(db, report, "follower",
                                     _device(f"http://127.0.0.1:9/push/f{n}"), "id", PUBLIC)
    with pytest.raises(push_subscriptions.TooMany):
        push_subscriptions.subscribe(db, report, "follower",
                                     _device("http://127.0.0.1:9/push/f4"), "id", PUBLIC)
    mine = push_subscriptions.subscribe(db, report, "reporter",
                                        _device("http://127.0.0.1:9/push/me"), "id", PUBLIC)
    assert mine["role"] == "reporter"
    for n in range(push_subscriptions.MAX_REPORTER_DEVICES - 1):  # the reporter's own cap
        push_subscriptions.subscribe(db, report, "reporter",
                                     _device(f"http://127.0.0.1:9/push/me{n}"), "id", PUBLIC)
    with pytest.raises(push_subscriptions.TooMany):
        push_subscriptions.subscribe(db, report, "reporter",
                                     _device("http://127.0.0.1:9/push/me-again"), "id", PUBLIC)


def test_a_query_string_or_fragment_does_not_make_another_device(monkeypatch) -> None:
    monkeypatch.setattr(push_subscriptions, "MAX_PER_DEVICE", 2)
    db = fake_db()
    endpoint = "http://127.0.0.1:9/push/one-device"
    for n, spelling in enumerate((endpoint, endpoint + "?a=1")):
        push_subscriptions.subscribe(db, _report(n), "follower", _device(spelling), "id",
                                     PUBLIC)
    for n, spelling in enumerate((endpoint + "?a=2", endpoint + "#x", endpoint + "?#")):
        with pytest.raises(push_subscriptions.TooMany):
            push_subscriptions.subscribe(db, _report(10 + n), "follower", _device(spelling),
                                         "id", PUBLIC)
    # The same device again for a report it has: renewed, not a second one.
    push_subscriptions.subscribe(db, _report(0), "follower", _device(endpoint + "?b=3"), "id",
                                 PUBLIC)
    assert db.push_subscriptions.count_documents({}) == 2
    assert push_subscriptions.unsubscribe(db, endpoint + "?c") == 2  # the device, however spelt


# ---- one send ----------------------------------------------------------------------------------

def test_an_endpoint_whose_name_does_not_resolve_now_is_tried_again(public_dns) -> None:
    channel, report = _world()
    [notice, _] = channel.plan("report.status_changed", {"status": "accepted"}, report)
    assert notice.push is not None
    unresolvable = replace(notice.push, endpoint="https://push.gone.example/abc")
    public_dns["push.gone.example"] = []
    lenient = PushChannel(replace(SETTINGS, push_allowed_hosts=""), channel.db, channel.keys)
    with pytest.raises(DeliveryFailed, match="push_host_unresolvable"):
        lenient.send(unresolvable)
    public_dns["push.gone.example"] = ["10.0.0.7"]  # now private: refused for good
    with pytest.raises(DeliveryRejected, match="push_address_not_allowed"):
        lenient.send(unresolvable)


def test_subscriptions_of_a_replaced_vapid_key_are_dropped_not_kept_forever() -> None:
    """The pair was changed: no push service takes a message for a subscription made under
    the old one (they answer 401/403), and the browser makes a new one when the app opens."""
    db = fake_db()
    report = {**_report(1), "status": "accepted", "privacy": "public", "type": "complaint",
              "history": [], "comments": []}
    old_public = vapid_keys.generate()[1]
    for name, key in (("old", old_public), ("new", PUBLIC)):
        push_subscriptions.subscribe(db, report, "reporter",
                                     _device(f"http://127.0.0.1:9/push/{name}"), "id", key)
    channel = PushChannel.from_settings(SETTINGS, db)
    assert channel is not None
    planned = channel.plan("report.status_changed", {"status": "accepted"}, marked(report))
    assert [n.address for n in planned] == ["http://127.0.0.1:9/push/new"]
    assert [s["endpoint"] for s in db.push_subscriptions.find()] == [
        "http://127.0.0.1:9/push/new"]


@pytest.mark.parametrize("status", [401, 403])
def test_a_subscription_made_before_the_key_was_kept_and_refused_401_403_is_gone(
        status: int) -> None:
    from push_double import PushDouble, subscription_id
    with PushDouble() as double:
        browser = double.subscription()
        db = fake_db()
        report = {**_report(1), "status": "accepted", "privacy": "public", "type": "complaint",
                  "history": [], "comments": []}
        for key in (None, PUBLIC):  # made before the key was kept; made under today's
            push_subscriptions.subscribe(db, report if key else _report(2), "reporter",
                                         push_subscriptions.Subscription(
                                             browser["endpoint"], **browser["keys"]), "id",
                                         key or "")
        # Written straight into the fake: a subscription as the version before key rotation
        # stored it (no key kept), which no API of this version can make.
        db.push_subscriptions.update_many({"vapid_key": ""}, {"$unset": {"vapid_key": ""}})
        channel = PushChannel.from_settings(SETTINGS, db)
        assert channel is not None
        double.answer(subscription_id(browser), status, status)
        [legacy] = channel.plan("report.status_changed", {"status": "accepted"}, marked(
            _report(2) | {"status": "accepted", "privacy": "public", "type": "complaint",
                          "history": [], "comments": []}))
        assert legacy.push is not None and legacy.push.vapid_key is None
        with pytest.raises(DeliveryRejected, match="another VAPID key"):
            channel.send(legacy.push)
        assert db.push_subscriptions.count_documents({"report_id": "r2"}) == 0
        # One made under today's key and refused is not dropped: that is the push service's
        # trouble (or ours), not a dead subscription.
        [current] = channel.plan("report.status_changed", {"status": "accepted"},
                                 marked(report))
        assert current.push is not None
        with pytest.raises(DeliveryRejected, match=f"refused the message \\({status}\\)"):
            channel.send(current.push)
        assert db.push_subscriptions.count_documents({"report_id": "r1"}) == 1
