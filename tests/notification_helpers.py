"""Helpers for the notification tests: reports in Depok (so that contacts and subscriptions
set up here never touch the Padang reports of other tests), mail in the sink, staff tokens."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any

from http_receiver import Receiver
from photo_factory import INSIDE, WIB, camera_photo
from stack_client import REPORT, submit

from aduan.infra.config import Settings
from aduan.infra.messaging import CONSUMERS, connect, queue_name
from aduan.web.auth import Principal, issue_access_token


def depok_report(**changes: Any) -> dict[str, Any]:
    lat, lon = INSIDE["depok"]
    return {**REPORT, "city": "depok", "location": {"lat": lat, "lon": lon}, **changes}


def submit_depok(api: str, **changes: Any) -> dict[str, Any]:
    lat, lon = INSIDE["depok"]
    photo = camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=20))
    response = submit(api, photo, depok_report(**changes))
    assert response.status_code == 202, response.text
    return response.json()


def mails(maildir: Path, to: str | None = None, contains: str | None = None
          ) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(maildir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if to is not None and message["To"] != to:
            continue
        if contains is not None and contains not in message["Subject"]:
            continue
        found.append(message)
    return found


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def one_time_code(message: email.message.EmailMessage) -> str:
    """The reporter's one-time code in a recovery mail: in its text, never its subject (which
    lock screens and mail logs show)."""
    found = re.search(r"(?:perangkat lain|another device): (\d{6})\.", text_of(message))
    assert found and found.group(1) not in message["Subject"], message["Subject"]
    return found.group(1)


def html_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def staff_headers(settings: Settings, role: str, city: str = "depok",
                  agency: str | None = None) -> dict[str, str]:
    token = issue_access_token(settings, Principal(f"test-{role}", role, city, agency))
    return {"Authorization": f"Bearer {token}"}


def queues_drained(settings: Settings) -> bool:
    connection = connect(settings)
    try:
        channel = connection.channel()
        return all(
            channel.queue_declare(queue_name(settings, c), passive=True).method.message_count
            == 0 for c in CONSUMERS)
    finally:
        connection.close()


def logs_text(run_dir: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in (run_dir / "logs").glob("*.log"))


SMS_SETTINGS = {
    "SMS_AUTH_HEADER": "X-Api-Key: test-sms-key",
    "SMS_BODY_TEMPLATE": '{"msisdn": "{to}", "message": "{text}", "sender": "{sender}"}',
}


def _restart_notification_worker(stack) -> None:
    [worker] = [name for name in stack.processes if name.startswith("notification-worker")]
    stack.stop_process(worker)
    stack.start_worker("notification-worker")


@contextmanager
def sms_through(stack, provider: Receiver) -> Iterator[Receiver]:
    """The stack's notification worker restarted to send SMS to `provider` (a real local HTTP
    server standing in for the SMS gateway); restored afterwards."""
    overrides = {"SMS_URL": provider.url, **SMS_SETTINGS}
    stack.overrides.update(overrides)
    _restart_notification_worker(stack)
    try:
        yield provider
    finally:
        for key in overrides:
            stack.overrides.pop(key)
        _restart_notification_worker(stack)
