"""The channels only a connector of the platform files (issue 19): intake takes `whatsapp`,
`sms` and an `external_id` only with the connector's header (aduan.web.app.CHANNEL_HEADER),
which the gateway never passes on from a client; the shared client
(aduan/infra/intake_client.py) files them and a retry with the same key is the same report."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from photo_factory import INSIDE
from stack_client import wait_for_status
from workflow_client import bearer

from aduan.infra.config import Settings
from aduan.infra.intake_client import IntakeRefused, file_report
from aduan.web.app import CHANNEL_HEADER

pytestmark = pytest.mark.stack


def _report(**changes: Any) -> dict[str, Any]:
    return {"city": "padang", "category": "waste", "type": "complaint",
            "description": f"Sampah menumpuk {uuid.uuid4().hex[:8]} di depan pasar",
            "location": {"lat": INSIDE["padang"][0], "lon": INSIDE["padang"][1]}, **changes}


def _post(url: str, report: dict[str, Any], headers: dict[str, str] | None = None
          ) -> requests.Response:
    return requests.post(f"{url}/reports", headers=headers or {}, timeout=20, files={
        "report": (None, json.dumps(report), "application/json")})


@pytest.mark.parametrize("channel", ["whatsapp", "sms"])
def test_a_client_cannot_file_a_connector_channel_even_naming_the_header(api: str,
                                                                          channel: str):
    for headers in ({}, {CHANNEL_HEADER: channel}):
        response = _post(api, _report(channel=channel), headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "channel_requires_connector"


def test_a_client_cannot_give_an_external_id(api: str):
    response = _post(api, _report(channel="open311", external_id="LPR-1"),
                     {CHANNEL_HEADER: "open311"})
    assert response.status_code == 403  # the header never reaches intake through the gateway
    response = _post(api, _report(channel="web", external_id="LPR-1"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "external_id_not_allowed"


def test_a_connector_files_once_with_its_external_id(api: str, settings: Settings):
    report = _report(external_id=f"wamid.{uuid.uuid4().hex}", description=(
        "Lampu jalan mati sejak kemarin malam di simpang"),
        reporter={"phone": "+6281234500001"})
    key = f"wa:{report['external_id']}"
    with requests.Session() as session:
        first = file_report(session, settings.intake_url, 20, "whatsapp", report, [], key)
        again = file_report(session, settings.intake_url, 20, "whatsapp", report, [], key)
        assert again["code"] == first["code"]
        with pytest.raises(IntakeRefused) as refused:  # the same key for another report
            file_report(session, settings.intake_url, 20, "whatsapp",
                        {**report, "description": "Laporan lain dengan kunci yang sama"}, [],
                        key)
        assert refused.value.status == 422 and refused.value.code == "idempotency_key_reused"
    wait_for_status(api, first["code"], {"needs_review"}, token=first["token"])
    staff = requests.get(f"{api}/staff/reports/{first['code']}", timeout=10,
                         headers=bearer(settings, "operator")).json()
    assert staff["channel"] == "whatsapp" and staff["no_photo"] is True
    assert staff["external"] == {"system": "whatsapp", "id": report["external_id"]}
