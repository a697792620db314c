"""Faults with real processes: consumers killed with SIGKILL mid-burst, the database or the
object store down. Nothing acknowledged is lost; nothing takes effect twice."""

from __future__ import annotations

import random
import signal
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from photo_factory import fresh_padang_photo
from stack_client import REPORT, pipeline_settled, raw_object_count, submit
from waiting import eventually

pytestmark = pytest.mark.stack

FINAL = {"forwarded", "rejected", "needs_review"}
WORKERS = ("verification-worker", "routing-worker", "notification-worker")


def _wait_final(db, ids: list[str], timeout_s: float = 90) -> None:
    eventually(lambda: db.reports.count_documents(
        {"_id": {"$in": ids}, "status": {"$in": sorted(FINAL)}}) == len(ids),
        timeout_s, f"all {len(ids)} reports in a final state", every_s=0.5)


def _assert_each_effect_once(db, stack, ids: list[str]) -> None:
    for report in db.reports.find({"_id": {"$in": ids}}):
        steps = Counter((h["from"], h["to"]) for h in report["history"])
        assert all(n == 1 for n in steps.values()), (report["code"], steps)
        assert report["status"] == "forwarded", report["code"]
        assert report["outbox"] == []
        keys = {p.get("public_key") for p in report["photos"]}
        assert len(keys) == 1 and None not in keys
    # One email per (event, recipient): submitted and forwarded for every report.
    sent = Counter(d["report_id"] for d in db.deliveries.find({"report_id": {"$in": ids},
                                                              "result": "sent"}))
    assert sent == dict.fromkeys(ids, 2)


def test_consumers_killed_mid_burst_lose_nothing_and_repeat_nothing(api, db, stack):
    photo = fresh_padang_photo()
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(submit, api, photo) for _ in range(40)]
        rng = random.Random(7)
        for _ in range(3):
            # Not a wait for anything: the pause spreads the kills over the burst at seeded
            # random moments, so that some land mid-message (there is no fact to wait for).
            time.sleep(rng.uniform(0.2, 0.6))
            for worker in WORKERS:
                name = next(n for n in stack.processes if n.startswith(worker))
                stack.stop_process(name, sig=signal.SIGKILL)
                stack.start_worker(worker)
        responses = [f.result() for f in futures]
    assert {r.status_code for r in responses} == {202}
    ids = [r.json()["id"] for r in responses]
    _wait_final(db, ids)
    pipeline_settled(api, db)  # every event of the burst is handled, repeats included
    # An email whose sender was killed mid-send is retried once its lease runs out.
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": {"$in": ids}, "result": "sent"}) >= 2 * len(ids), 60, "every email sent",
        every_s=0.5)
    # A killed process leaves the events it published but had not yet pulled from the outbox
    # (aduan/infra/outbox.py DeferredPulls) and those it wrote but had not published: the
    # relay publishes them again after outbox_relay_after_s. Once it has, the sentinel's way
    # through shows the repeats were handled (and changed nothing).
    eventually(lambda: db.reports.count_documents(
        {"_id": {"$in": ids}, "outbox.0": {"$exists": True}}) == 0, 60,
        "the relay published what the killed processes left in the outbox", every_s=0.5)
    pipeline_settled(api, db)
    _assert_each_effect_once(db, stack, ids)


def _stopped(stack, name: str):
    class Outage:
        def __enter__(self):
            stack.stop_process(name, sig=signal.SIGKILL)

        def __exit__(self, *_):
            {"mongo": stack.start_mongo, "s3": stack.start_s3}[name]()
            stack.wait_infrastructure()

    return Outage()


def _assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"]["code"] == "service_unavailable"
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_database_down_means_503_then_normal_service_without_restarts(api, db, store, stack):
    objects_before = raw_object_count(store)
    with _stopped(stack, "mongo"):
        _assert_unavailable(submit(api, fresh_padang_photo()))
        _assert_unavailable(requests.get(f"{api}/reports", timeout=30))
        assert requests.get(f"http://127.0.0.1:{stack.profile.http_ports['intake']}/readyz",
                            timeout=30).status_code == 503
    # The refused report's photos (stored before its insert failed) are deleted once the
    # database says the report is not there (services/intake/submission.py _forget_photos).
    eventually(lambda: raw_object_count(store) == objects_before, 30,
               "no photo of the refused report left in the object store", every_s=0.5)
    _recovers(api, db)


def test_object_store_down_means_503_and_no_report_then_normal_service(api, db, stack):
    marker = f"Laporan saat S3 mati {uuid.uuid4().hex}"
    with _stopped(stack, "s3"):
        _assert_unavailable(submit(api, fresh_padang_photo(), {**REPORT, "description": marker}))
    assert db.reports.count_documents({"description": marker}) == 0
    _recovers(api, db)


def _recovers(api, db) -> None:
    accepted = eventually(lambda: (r := submit(api, fresh_padang_photo())).status_code == 202
                          and r, 30, "a submission accepted again", every_s=0.5)
    _wait_final(db, [accepted.json()["id"]], timeout_s=60)
