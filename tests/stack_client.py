"""Client helpers for tests that talk to the running platform through its gateway."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from aduan.storage import ObjectStore

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
    deadline = time.monotonic() + timeout_s
    headers = {"X-Reporter-Token": token} if token else {}
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = requests.get(f"{api}/reports/{code}", headers=headers, timeout=10).json()
        if view.get("status") in statuses:
            return view
        time.sleep(0.2)
    raise AssertionError(f"{code} stayed {view.get('status')!r}, wanted {statuses}")


def raw_object_count(store: ObjectStore) -> int:
    return len(store.keys(store.raw_bucket))
