"""Client helpers for tests that talk to the running platform through its gateway."""

from __future__ import annotations

import json
from typing import Any

import requests
from photo_factory import fresh_padang_photo
from pymongo.database import Database
from waiting import eventually

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


def pipeline_settled(api: str, db: Database, timeout_s: float = 60) -> dict[str, Any]:
    """Files a sentinel report and waits until it is forwarded and both its emails (received,
    forwarded) are sent. Each consumer handles its queue in order, and the sentinel's events
    enter every queue (verification, routing, notification) after whatever was published
    before this call, so once the sentinel is through, so is all of that: a test can then
    assert that something did *not* happen without guessing a sleep."""
    response = submit(api, fresh_padang_photo())
    assert response.status_code == 202, response.text
    receipt = response.json()
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": receipt["id"], "event": "report.forwarded", "result": "sent"}),
        timeout_s, "the sentinel report forwarded and its email sent")
    return receipt
