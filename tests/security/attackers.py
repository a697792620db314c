"""What the attacker's tests share: filing reports and waiting for them as the reporter."""

from __future__ import annotations

from typing import Any

from stack_client import REPORT, submit, wait_for_status


def file_report(api: str, photo: bytes, **changes: Any) -> dict[str, Any]:
    response = submit(api, photo, {**REPORT, **changes})
    assert response.status_code == 202, response.text
    return response.json()


def settle(api: str, receipt: dict[str, Any], statuses: set[str]) -> dict[str, Any]:
    """Waits, as the reporter, until the report reaches one of `statuses`."""
    return wait_for_status(api, receipt["code"], statuses, token=receipt["token"])
