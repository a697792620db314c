"""Helpers for workflow tests: staff tokens, actions through the gateway, reports brought to a
given status the way people bring them there (`bring_to`), and a tap on the event exchange."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import requests
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from stack_client import REPORT, submit, wait_for_status
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


# How a report gets to each status, the way people get it there: the photo checks and routing
# decide the first stop (a stale photo waits for review; "waste" is routed to DLH, "water"
# referred to PDAM; a category without a rule waits verified in the operators' queue), then
# the steps below, taken by an operator ("operator"), the agency holding the report ("agency")
# or the reporter ("reporter"). Each step: (who, action, body).
STEPS: dict[str, tuple[str, list[tuple[str, str, dict[str, Any]]]]] = {
    "needs_review": ("needs_review", []),
    "rejected": ("needs_review", [("operator", "reject", {"note": "Foto tidak meyakinkan"})]),
    "verified": ("verified", []),
    "postponed": ("verified", [("operator", "postpone", {
        "note": "Menunggu keterangan",
        "until": (datetime.now(WIB) + timedelta(days=7)).date().isoformat()})]),
    "archived": ("verified", [("operator", "archive", {"note": "Bukan pengaduan"})]),
    "duplicate": ("verified", [("operator", "duplicate", {})]),
    "referred": ("referred", []),
    "forwarded": ("forwarded", []),
    "accepted": ("forwarded", [("agency", "accept", {})]),
    "in_progress": ("forwarded", [("agency", "accept", {}), ("agency", "start", {})]),
    "resolved": ("forwarded", [("agency", "accept", {}), ("agency", "start", {}),
                               ("agency", "resolve", {"note": "Sudah ditangani"})]),
    "reopened": ("forwarded", [("agency", "accept", {}), ("agency", "start", {}),
                               ("agency", "resolve", {"note": "Sudah ditangani"}),
                               ("reporter", "reopen", {"note": "Masalahnya muncul lagi"})]),
    "closed": ("forwarded", [("agency", "accept", {}), ("agency", "start", {}),
                             ("agency", "resolve", {"note": "Sudah ditangani"}),
                             ("reporter", "confirm", {})]),
}
# The category that makes the first stop (routing's rules of the seeded Padang catalogue).
CATEGORY = {"needs_review": "other", "verified": "other", "forwarded": "waste",
            "referred": "water"}


def stale_padang_photo() -> bytes:
    """A camera photo taken three days ago: Padang's policy sends it to review (stale_photo)."""
    lat, lon = INSIDE["padang"]
    return camera_photo(lat, lon, datetime.now(WIB) - timedelta(days=3))


def bring_to(api: str, settings: Settings, status: str, *, agency: str | None = None,
             original: str | None = None, **changes: Any) -> dict[str, Any]:
    """A report of Padang brought to `status` through the gateway, as people do: submitted
    with a camera photo taken inside the city, checked and routed by the running services,
    then acted on by an operator, the agency holding it (`agency`, else the first it was sent
    to) and its reporter. `changes` go into the submission (privacy, category, description);
    `original`: the tracking code a duplicate points at (else a new verified report).

    Returns the receipt's `_id`, `code` and reporter `token`, and the workflow as an operator
    last saw it (`workflow`). Waits until the services are done with the report (one waiting
    for an operator has its forwarding deadline), so that what a test then does meets no
    background write."""
    first, steps = STEPS[status]
    body = {**REPORT, "category": CATEGORY[first], **changes}
    photo = stale_padang_photo() if first == "needs_review" else fresh_padang_photo()
    response = submit(api, photo, body)
    assert response.status_code == 202, response.text
    receipt = response.json()
    code, token = receipt["code"], receipt["token"]
    # Every status the photo checks and routing can leave a report in, so that a wrong first
    # stop fails at once, naming what it was.
    stops = {"needs_review", "rejected", "forwarded", "referred"} | (
        {"verified"} if first == "verified" else set())
    seen = wait_for_status(api, code, stops, token=token)
    assert seen["status"] == first, f"{code} stopped at {seen['status']}, not {first}"
    operator = bearer(settings, "operator")
    if first in ("needs_review", "verified"):
        # Routing then records its forwarding deadline (and puts a verified one in triage).
        eventually(lambda: (view := workflow(api, code, operator))["forward_due_at"]
                   and (first != "verified" or view["triage"]), 30,
                   f"{code} waiting in the operators' queue")
    view = workflow(api, code, operator)
    holder = agency or (view["agencies"][0]["code"] if view["agencies"] else None)
    headers = {"operator": operator, "reporter": {"X-Reporter-Token": token},
               "agency": bearer(settings, "agency_admin", agency=holder)}
    for who, action, sent in steps:
        if action == "duplicate":
            sent = {"of": original or bring_to(api, settings, "verified")["code"]}
        photo = fresh_padang_photo() if action == "resolve" else None
        done = act(api, code, action, headers[who], sent, photo=photo)
        assert done.status_code == 200, f"{action} on {code}: {done.text}"
    view = workflow(api, code, operator)
    assert view["status"] == status, f"{code} is {view['status']}, not {status}"
    return {"_id": receipt["id"], "code": code, "token": token, "workflow": view}


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
