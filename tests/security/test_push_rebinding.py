"""A device's push endpoint whose name resolved to a public address when it subscribed and
resolves into the platform's own network when a message is sent (DNS rebinding, or a name
handed on): the notification worker checks the name again before every send and never
connects. Over the channel itself, in process: the name's answers are this test's to give
(`public_addresses._lookup`, the resolver seam), and the "internal" server is a socket on
loopback that must never see a connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fakes import fake_db
from push_double import PushDouble

from aduan.infra import public_addresses
from aduan.infra.config import Settings
from services.notification import push_subscriptions, vapid_keys
from services.notification.deliveries import DeliveryRejected
from services.notification.push import PushChannel

PRIVATE, PUBLIC = vapid_keys.generate()
# Production's push rule without the host list (any public host): nothing is exempt.
SETTINGS = Settings(vapid_private_key=PRIVATE, vapid_public_key=PUBLIC,
                    push_allowed_hosts="", push_private_hosts="")
NAME = "push.rebind.example"
REPORT = {"_id": "r1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang", "status": "accepted",
          "privacy": "public", "type": "complaint", "history": [], "comments": []}


@pytest.fixture
def internal() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        yield listener


def test_a_name_that_turns_private_after_subscribing_is_refused_at_send_time(
        internal: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {NAME: ["93.184.216.34"]}
    monkeypatch.setattr(public_addresses, "_lookup", lambda host, port: answers[host])
    endpoint = f"https://{NAME}:{internal.getsockname()[1]}/push/abc"
    browser = {**PushDouble().subscription(), "endpoint": endpoint}
    db = fake_db()
    db.reports.insert_one(dict(REPORT))  # as filed; subscribing marks it as having devices
    checked = push_subscriptions.checked(SETTINGS, browser)  # public now: taken
    push_subscriptions.subscribe(db, REPORT, "reporter", checked, "id", PUBLIC)
    channel = PushChannel.from_settings(SETTINGS, db)
    assert channel is not None
    report = db.reports.find_one({"_id": REPORT["_id"]})
    [notice] = channel.plan("report.status_changed", {"status": "accepted"}, report)
    assert notice.push is not None

    for turned in (["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"],
                   ["169.254.169.254"], ["10.0.0.7"], ["::1"]):
        answers[NAME] = turned
        with pytest.raises(DeliveryRejected, match="push_address_not_allowed"):
            channel.send(notice.push)
    with pytest.raises(BlockingIOError):  # no connection ever reached the internal server
        internal.accept()
