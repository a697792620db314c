"""What the attacker's tests share: filing reports and waiting for them as the reporter."""

from __future__ import annotations

from typing import Any

import requests
from stack_client import REPORT, submit, wait_for_status


def file_report(api: str, photo: bytes, **changes: Any) -> dict[str, Any]:
    response = submit(api, photo, {**REPORT, **changes})
    assert response.status_code == 202, response.text
    return response.json()


def settle(api: str, receipt: dict[str, Any], statuses: set[str]) -> dict[str, Any]:
    """Waits, as the reporter, until the report reaches one of `statuses`."""
    return wait_for_status(api, receipt["code"], statuses, token=receipt["token"])


def every_answer_about(api: str, receipt: dict[str, Any]) -> dict[str, requests.Response]:
    """Every answer about one report that a resident, its reporter or an Open311 client can
    get: the views, the workflow, the list and map, Open311 in JSON and XML."""
    code = receipt["code"]
    reporter = {"X-Reporter-Token": receipt["token"]}
    o311, where = f"{api}/open311/v2", {"jurisdiction_id": "padang"}
    page = {"page_size": 100}
    return {
        "public view": requests.get(f"{api}/reports/{code}", timeout=10),
        "reporter view": requests.get(f"{api}/reports/{code}", headers=reporter, timeout=10),
        "reporter workflow": requests.get(f"{api}/reports/{code}/workflow", headers=reporter,
                                          timeout=10),
        "public list": requests.get(f"{api}/reports", params=page, timeout=10),
        "public map": requests.get(f"{api}/reports", params={**page, "format": "geojson"},
                                   timeout=10),
        "open311 json": requests.get(f"{o311}/requests/{code}.json", params=where, timeout=10),
        "open311 xml": requests.get(f"{o311}/requests/{code}.xml", params=where, timeout=10),
        "open311 list": requests.get(f"{o311}/requests.json", params=where, timeout=10),
        "open311 list xml": requests.get(f"{o311}/requests.xml", params=where, timeout=10),
    }
