"""The delivery log's results on the real stack: the notification worker claims each message
(one insert) and writes its result (services/notification/deliveries.py), results that come
at once sharing one command: never more than one update per message, each recorded once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from photo_factory import fresh_padang_photo
from stack_client import pipeline_settled, submit
from waiting import eventually

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
    assert 0 < updates <= inserts, (inserts, updates)  # results that come at once share one
