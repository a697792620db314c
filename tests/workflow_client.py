"""Helpers for workflow tests: staff tokens, actions through the gateway, reports placed in a
given status, and a tap on the event exchange."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from pymongo.database import Database
from waiting import eventually

from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.messaging import Event, Publisher, connect, exchange_name
from aduan.infra.tokens import reporter_token
from aduan.web.auth import Principal, issue_access_token


def bearer(settings: Settings, role: str, city: str = "padang", agency: str | None = None,
           user: str | None = None) -> dict[str, str]:
    principal = Principal(user_id=user or f"{role}-{agency or city}", role=role, city=city,
                          agency=agency)
    return {"Authorization": f"Bearer {issue_access_token(settings, principal)}"}


def reporter(settings: Settings, report_id: str) -> dict[str, str]:
    return {"X-Reporter-Token": reporter_token(reporter_token_keys(settings), report_id)}


def act(api: str, code: str, action: str, headers: dict[str, str],
        body: dict[str, Any] | None = None, photo: bytes | None = None) -> requests.Response:
    url = f"{api}/reports/{code}/actions/{action}"
    if photo is not None:
        files = {"photo": ("evidence.jpg", photo, "image/jpeg")}
        data = {"data": json.dumps(body)} if body is not None else {}
        return requests.post(url, files=files, data=data, headers=headers, timeout=30)
    return requests.post(url, json=body if body is not None else {}, headers=headers, timeout=30)


def workflow(api: str, code: str, headers: dict[str, str]) -> dict[str, Any]:
    response = requests.get(f"{api}/reports/{code}/workflow", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def place_report(db: Database, status: str, *, city: str = "padang", category: str = "waste",
                 agencies: list[dict[str, Any]] | None = None, **fields: Any
                 ) -> dict[str, Any]:
    """A report stored directly in `status` (as if it had got there), for tests that need many
    statuses quickly."""
    now = datetime.now(UTC)
    report_id = uuid.uuid4().hex
    code = f"PDG-2099-{int(uuid.uuid4().int % 10**9):09d}"
    report = {
        "_id": report_id, "code": code, "city": city, "category": category,
        "description": "Laporan uji alur kerja", "location": {"lat": -0.9726, "lon": 100.4057},
        "channel": "app", "privacy": "public", "reporter": None, "photos": [],
        "status": status, "created_at": now, "updated_at": now, "outbox": [],
        "history": [{"at": now, "from": None, "to": "submitted",
                     "actor": {"kind": "reporter", "id": None, "role": None}, "note": None}],
        "agencies": agencies or [], "kecamatan": {"code": "13.71.06", "name": "Lubuk Begalung"},
        **fields,
    }
    db.reports.insert_one(report)
    return report


def assignment(code: str, status: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "kind": "opd", "status": status,
            "forwarded_at": datetime.now(UTC), "due_at": None, "responded_at": None, **fields}


class EventTap:
    """An exclusive queue bound to every report event of this stack's exchange.

    Delivery is at least once: the outbox relay may publish an event a second time (same
    message id) when the first publish was slow to be recorded. Consumers ignore the repeat,
    and so does the tap: each event is counted once, by its message id."""

    def __init__(self, settings: Settings) -> None:
        self.connection = connect(settings)
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, exchange_name(settings), routing_key="report.#")
        # Markers (see `caught_up`) use a key no service listens to.
        self.channel.queue_bind(self.queue, exchange_name(settings), routing_key="tap.#")
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.message_ids: set[str] = set()

    def drain(self) -> None:
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return
            if properties.message_id in self.message_ids:
                continue
            self.message_ids.add(properties.message_id)
            self.seen.append((method.routing_key, json.loads(body)))

    def events(self, report_id: str, key: str | None = None) -> list[dict[str, Any]]:
        self.drain()
        return [body for routing_key, body in self.seen
                if body.get("report_id") == report_id and (key is None or routing_key == key)]

    def wait(self, report_id: str, key: str, count: int = 1, timeout_s: float = 15
             ) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            found = self.events(report_id, key)
            return found if len(found) >= count else None

        def wanted() -> str:
            return f"{count} {key} event(s) of {report_id} (seen: {self.events(report_id)})"

        return eventually(enough, timeout_s, wanted)

    def caught_up(self, publisher: Publisher) -> None:
        """Returns once the tap holds everything `publisher` published before this call: a
        marker published after it arrives after it (one channel, one queue, in order)."""
        marker = uuid.uuid4().hex
        publisher.publish(Event("tap.marker", {"report_id": marker}))
        self.wait(marker, "tap.marker")

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()
