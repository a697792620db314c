"""Client helpers for tests that talk to the running platform through its gateway."""

from __future__ import annotations

import json
from typing import Any

import requests
from photo_factory import fresh_padang_photo
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pymongo.database import Database
from waiting import eventually

from aduan.infra.config import Settings
from aduan.infra.messaging import CONSUMERS
from aduan.infra.storage import ObjectStore

REPORT = {
    "category": "waste",
    "description": "Sampah menumpuk di pinggir jalan dekat pasar",
    "location": {"lat": -0.9726, "lon": 100.4057},
    "reporter": {"name": "Warga", "email": "warga@example.id", "language": "id"},
}


def submit(api: str, photo: bytes | None, report: dict[str, Any] | str | None = None,
           headers: dict[str, str] | None = None, photo_name: str = "photo.jpg",
           photo_type: str = "image/jpeg") -> requests.Response:
    files: dict[str, Any] = {}
    body = REPORT if report is None else report
    if body != "":
        files["report"] = (None, body if isinstance(body, str) else json.dumps(body),
                           "application/json")
    if photo is not None:
        files["photo"] = (photo_name, photo, photo_type)
    return requests.post(f"{api}/reports", files=files, headers=headers or {}, timeout=30)


def wait_for_status(api: str, code: str, statuses: set[str], timeout_s: float = 30,
                    token: str | None = None) -> dict[str, Any]:
    headers = {"X-Reporter-Token": token} if token else {}

    def view_in_status() -> dict[str, Any] | None:
        view = requests.get(f"{api}/reports/{code}", headers=headers, timeout=10).json()
        return view if view.get("status") in statuses else None

    return eventually(view_in_status, timeout_s, f"{code} in one of {sorted(statuses)}",
                      every_s=0.2)


def raw_object_count(store: ObjectStore) -> int:
    return len(store.keys(store.raw_bucket))


# The services whose workers take the report events: the consumers bound to them as declared
# (the LAPOR! exporter binds its queue only while a city has LAPOR! set up).
CONSUMING = tuple(consumer for consumer, keys in CONSUMERS.items() if keys)


def pipeline_settled(api: str, db: Database, timeout_s: float = 60) -> dict[str, Any]:
    """Files a sentinel report, waits until it is forwarded and both its emails (received,
    forwarded) are sent, then until the consumers are quiet (`consumers_quiet`): whatever
    was published before this call has been handled by then, so a test can assert that
    something did *not* happen without guessing a sleep. (The sentinel alone does not tell:
    each consumer handles several reports at once, so a report filed earlier, with a slower
    photo, can still be on its way once the sentinel is through.)"""
    response = submit(api, fresh_padang_photo())
    assert response.status_code == 202, response.text
    receipt = response.json()
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": receipt["id"], "event": "report.forwarded", "result": "sent"}),
        timeout_s, "the sentinel report forwarded and its email sent")
    consumers_quiet(timeout_s)
    return receipt


def consumers_quiet(timeout_s: float = 60) -> None:
    """Waits until no consuming service has a message ready in its work queue or in a
    worker's hands, on two looks in a row with no message handled in between (a message the
    broker has sent but the worker not yet taken shows in neither count, only in the next)."""
    services = Settings.from_env()
    urls = [getattr(services, f"{name}_url") for name in CONSUMING]
    last: list[tuple[float, float, float]] = []

    def quiet() -> bool:
        now = [_work_counts(url) for url in urls]
        settled = all(ready == 0 and in_hand == 0 for ready, in_hand, _ in now) and now == last
        last[:] = now
        return settled

    eventually(quiet, timeout_s, lambda: f"consumers quiet (ready, in hand, handled): {last}",
               every_s=0.2)


def _work_counts(service_url: str) -> tuple[float, float, float]:
    """(messages ready in the work queue, messages its workers hold, messages handled so far)
    from a consuming service's /metrics."""
    ready = in_hand = handled = 0.0
    for sample in scraped(service_url):
        if sample.name == "aduan_queue_messages" and sample.labels.get("kind") == "work":
            ready += sample.value
        elif sample.name == "aduan_messages_in_hand":
            in_hand += sample.value
        elif sample.name == "aduan_messages_handled_total":
            handled += sample.value
    return ready, in_hand, handled


def scraped(service_url: str) -> list[Sample]:
    """The samples a service serves on /metrics (its workers' included)."""
    text = requests.get(f"{service_url}/metrics", timeout=10).text
    return [sample for family in text_string_to_metric_families(text)
            for sample in family.samples]
