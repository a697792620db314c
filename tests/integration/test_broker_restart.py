"""RabbitMQ restarted during a burst of submissions: every acknowledged report still reaches a
final state, each step once, and every service reconnects by itself.

The broker here is a node of its own (own port and data), with a second platform stack on it,
so restarting it disturbs nothing else that uses the machine's RabbitMQ.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from photo_factory import fresh_padang_photo
from stack_client import submit
from waiting import eventually

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from tools.devstack import ROOT, PrivateBroker, Stack
from tools.devstack import test_profile as profile_of_slot

pytestmark = pytest.mark.stack

FINAL = {"forwarded", "rejected", "needs_review"}
# Clear of the slots test runs use, and one per run: two suites on one machine (ADUAN_TEST_SLOT),
# even in one checkout, must not start, restart and stop each other's broker node and stack.
OWN_SLOT = 20 + int(os.environ.get("ADUAN_TEST_SLOT", "0") or 0)


@pytest.fixture(scope="module")
def broker_and_stack(stack):  # after the session's stack, which set up the environment
    broker = PrivateBroker(f"aduanfault{OWN_SLOT}", 5800 + OWN_SLOT,
                           ROOT / ".run" / f"fault-broker{OWN_SLOT}" / "rabbitmq")
    broker.start(fresh=True)
    profile = profile_of_slot(OWN_SLOT)
    own = Stack(profile, ROOT / ".run" / f"fault-broker{OWN_SLOT}",
                overrides={"AMQP_URL": broker.amqp_url})
    try:
        own.down()
        own.up()
        yield broker, own
    finally:
        own.down()
        broker.stop()


def test_a_broker_restart_mid_burst_loses_nothing(broker_and_stack):
    broker, own = broker_and_stack
    env = own.env()
    settings = Settings(**{
        "mongo_url": env["ADUAN_MONGO_URL"], "mongo_db": env["ADUAN_MONGO_DB"]})
    db = get_db(settings)
    api = f"http://127.0.0.1:{own.profile.http_ports['gateway']}/api/v1"
    photo = fresh_padang_photo()
    restarted = threading.Event()
    down: dict[str, datetime] = {}

    responses: list = []
    stop_submitting = threading.Event()

    def client() -> None:
        while not stop_submitting.is_set():
            responses.append(submit(api, photo))

    def restart_broker() -> None:
        try:
            eventually(lambda: len(responses) >= 8, 60, "a burst under way", every_s=0.05)
            broker.stop()
            try:
                down["from"] = datetime.now(UTC)
                # Down until a few reports have come back accepted after it went: at most two
                # requests (one per client) were in flight when it stopped, so at least two of
                # these four were filed while it was gone, however slow the machine.
                answered_at_stop = len(responses)
                eventually(lambda: len(responses) >= answered_at_stop + 4, 60,
                           "four answers while the broker is down", every_s=0.05)
                down["to"] = datetime.now(UTC)
            finally:
                broker.start()
            restarted.set()
        finally:  # the clients stop whatever happened
            stop_submitting.set()

    with ThreadPoolExecutor(max_workers=3) as pool:
        chaos = pool.submit(restart_broker)
        clients = [pool.submit(client) for _ in range(2)]
        chaos.result()
        for finished in clients:
            finished.result()
    assert restarted.is_set()
    assert {r.status_code for r in responses} == {202}, Counter(r.status_code for r in responses)
    ids = [r.json()["id"] for r in responses]
    accepted_while_down = db.reports.count_documents(
        {"_id": {"$in": ids}, "created_at": {"$gte": down["from"], "$lte": down["to"]}})
    assert accepted_while_down > 0  # the restart really fell inside the burst

    # ~4 reports/s come through after the restart on two idle cores (221 in 58 s): the time
    # left is for a busy machine (several suites on two cores: 216 of 236 after 120 s). A
    # failure says where the others stand.
    eventually(lambda: db.reports.count_documents(
        {"_id": {"$in": ids}, "status": {"$in": sorted(FINAL)}}) == len(ids), 240,
        lambda: "every report in a final state (now: {}, {} with events unsent)".format(
            dict(Counter(r["status"] for r in db.reports.find({"_id": {"$in": ids}},
                                                              {"status": 1}))),
            db.reports.count_documents({"_id": {"$in": ids}, "outbox.0": {"$exists": True}})),
        every_s=0.5)
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": {"$in": ids}, "result": "sent"}) >= 2 * len(ids), 120,
        "both emails of every report sent", every_s=0.5)
    # An event leaves its report's outbox once the broker confirmed it, which can be just
    # after its consumers acted on it.
    eventually(lambda: db.reports.count_documents(
        {"_id": {"$in": ids}, "outbox": {"$ne": []}}) == 0, 60, "every outbox cleared")
    for report in db.reports.find({"_id": {"$in": ids}}):
        assert report["status"] == "forwarded", report["code"]
        steps = Counter((h["from"], h["to"]) for h in report["history"])
        assert all(n == 1 for n in steps.values()), (report["code"], steps)
        assert report["outbox"] == []
    sent = Counter(d["report_id"] for d in db.deliveries.find({"report_id": {"$in": ids},
                                                              "result": "sent"}))
    assert sent == dict.fromkeys(ids, 2)
