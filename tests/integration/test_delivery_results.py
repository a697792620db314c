"""The delivery log's results on the real stack: the notification worker claims each message
(one insert) and writes its result (services/notification/deliveries.py), results that come
at once sharing one command: never more than one update per message, each recorded once.
That they do share it is shown on the real database with the writes held in place (the stack
alone makes results coincide only by chance)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from photo_factory import fresh_padang_photo
from pymongo import UpdateOne
from stack_client import pipeline_settled, submit
from waiting import eventually

from services.notification.deliveries import SENT, DeliveryLog

pytestmark = pytest.mark.stack
REPORTS = 8


def delivery_commands(stack) -> dict[str, float]:
    """The notification processes' commands on `deliveries` so far, by command."""
    port = stack.profile.http_ports["notification"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("aduan_database_commands_seconds_count{") \
                and 'collection="deliveries"' in line:
            command = line.split('command="', 1)[1].split('"', 1)[0]
            counts[command] = counts.get(command, 0.0) + float(line.rsplit(" ", 1)[1])
    return counts


def test_sent_results_are_written_together_and_each_once(api, db, stack):
    pipeline_settled(api, db)
    before = delivery_commands(stack)
    with ThreadPoolExecutor(REPORTS) as pool:
        answers = list(pool.map(lambda _: submit(api, fresh_padang_photo()), range(REPORTS)))
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    ids = [a.json()["id"] for a in answers]
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": {"$in": ids}, "event": "report.forwarded", "result": "sent"}) == REPORTS,
        90, "every report's forwarding told")
    pipeline_settled(api, db)
    after = delivery_commands(stack)
    sent = list(db.deliveries.find({"report_id": {"$in": ids}}))
    assert len(sent) == 2 * REPORTS  # received and forwarded, one email each
    assert all(d["result"] == "sent" and d.get("sent_at") and "lease_token" not in d
               and d.get("provider_status") for d in sent)
    inserts = after.get("insert", 0) - before.get("insert", 0)
    updates = after.get("update", 0) - before.get("update", 0)
    assert inserts >= 2 * REPORTS
    assert 0 < updates <= inserts, (inserts, updates)  # never more than one per result


def test_results_that_come_while_one_is_written_share_one_command(db):
    """Five results come while the first is being written (its command held until they are
    all waiting): they go in one command after it, two commands for six results."""
    log = DeliveryLog(db, 60)
    ids = [f"group-{uuid.uuid4().hex}" for _ in range(6)]
    tokens = [log.claim(i, {"report_id": "group", "channel": "email"}).token for i in ids]
    writer = log._results
    real, first_in, release = writer.collection, threading.Event(), threading.Event()
    commands: list[int] = []

    class HeldFirst:  # the real collection; its first bulk write waits for `release`
        def bulk_write(self, updates: list[UpdateOne], ordered: bool = True) -> Any:
            commands.append(len(updates))
            if len(commands) == 1:
                first_in.set()
                assert release.wait(30)
            return real.bulk_write(updates, ordered=ordered)

    writer.collection = HeldFirst()

    def finish(n: int) -> None:
        log.finish(ids[n], tokens[n], SENT, f"250 OK {n}")

    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(finish, 0)
        assert first_in.wait(30)
        rest = [pool.submit(finish, n) for n in range(1, 6)]
        eventually(lambda: len(writer._waiting) == 5, 30, "five results waiting")
        release.set()
        for done in [first, *rest]:
            done.result(30)
    assert commands == [1, 5]
    for n, delivery_id in enumerate(ids):
        written = db.deliveries.find_one({"_id": delivery_id})
        assert written["result"] == SENT and written["provider_status"] == f"250 OK {n}"
    db.deliveries.delete_many({"_id": {"$in": ids}})  # clean-up: no API removes a delivery
