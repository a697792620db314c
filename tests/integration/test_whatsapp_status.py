"""A WhatsApp reporter hears of their report in the same chat (issue 19,
services/notification/whatsapp.py): from the greeting to the tracking code to status messages
and the agency's answer as free text while the resident wrote in the last 24 hours, the
approved template outside that window, nothing after STOP.

Meta's Graph API is the suite's double (tests/whatsapp_double.py); the channels service (the
bot) and the notification worker are restarted pointed at it and restored afterwards.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import whatsapp_double as meta
from photo_factory import spot_of_its_own
from waiting import eventually
from whatsapp_double import WhatsAppDouble
from workflow_client import act, bearer

from aduan.domain.status_names import status_name
from aduan.infra.config import Settings
from aduan.infra.intake_client import file_report

pytestmark = pytest.mark.stack

_rng = random.Random()


def _ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _restart(stack) -> None:
    stack.stop_process("channels")
    stack.start_http("channels")
    port = stack.profile.http_ports["channels"]
    eventually(lambda: _ready(port), 60, "the channels service ready again", every_s=0.2)
    [worker] = [n for n in stack.processes if n.startswith("notification-worker")]
    stack.stop_process(worker)
    stack.start_worker("notification-worker")


@pytest.fixture(scope="module")
def graph(stack) -> Iterator[WhatsAppDouble]:
    with WhatsAppDouble() as double:
        overrides = {k.removeprefix("ADUAN_"): v for k, v in double.settings().items()}
        stack.overrides.update(overrides)
        _restart(stack)
        try:
            yield double
        finally:
            for key in overrides:
                stack.overrides.pop(key)
            _restart(stack)


def _number() -> str:
    return f"62813{_rng.randrange(10**7, 10**8)}"


def _say(api: str, wa_id: str, message: dict[str, Any]) -> None:
    raw, headers = meta.signed(meta.envelope(wa_id, message))
    response = requests.post(f"{api}/channels/whatsapp/webhook", data=raw, headers=headers,
                             timeout=60)
    assert response.status_code == 200, response.text


def _texts(graph: WhatsAppDouble, wa_id: str) -> list[str]:
    return [m["text"]["body"] for m in graph.messages_to(wa_id) if m["type"] == "text"]


def _templates(graph: WhatsAppDouble, wa_id: str) -> list[dict[str, Any]]:
    return [m["template"] for m in graph.messages_to(wa_id) if m["type"] == "template"]


def _text_with(graph: WhatsAppDouble, wa_id: str, *words: str) -> str:
    return eventually(lambda: next((t for t in _texts(graph, wa_id)
                                    if all(w in t for w in words)), None), 60,
                      lambda: f"a text with {words}; sent: {_texts(graph, wa_id)}")


def _file_as_connector(settings: Settings, wa_id: str) -> dict[str, Any]:
    """A WhatsApp report as the bot files it, for a number that never wrote to the city
    (so no 24-hour window is open)."""
    lat, lon = spot_of_its_own(_rng, "padang")
    wamid = meta.new_wamid()
    with requests.Session() as session:
        return file_report(session, settings.intake_url, 20, "whatsapp", {
            "city": "padang", "category": "waste", "type": "complaint",
            "description": f"Sampah menumpuk di tepi jalan {uuid.uuid4().hex[:6]}",
            "location": {"lat": lat, "lon": lon}, "external_id": wamid,
            "reporter": {"phone": f"+{wa_id}", "language": "id"}},
            idempotency_key=f"wa:{wamid}")


def test_from_greeting_to_tracking_code_to_status_messages_and_the_agencys_answer(
        api: str, settings: Settings, graph: WhatsAppDouble):
    wa_id = _number()
    lat, lon = spot_of_its_own(_rng, "padang")
    _say(api, wa_id, meta.text(wa_id, "Halo"))
    _say(api, wa_id, meta.list_reply(wa_id, "cat:waste", "Sampah"))
    _say(api, wa_id, meta.text(wa_id, "Sampah menumpuk di depan pasar sejak Senin lalu"))
    _say(api, wa_id, meta.button_reply(wa_id, "skip", "Lewati"))
    _say(api, wa_id, meta.location(wa_id, lat, lon, "Pasar Raya", "Jl. Pasar Raya"))
    _say(api, wa_id, meta.button_reply(wa_id, "confirm", "Kirim"))
    filed = _text_with(graph, wa_id, "Kode pelacakan")
    code = filed.split("Kode pelacakan: ")[1].split()[0]

    # Without a photo it waits for the operators: the resident hears it, as free text (they
    # wrote a minute ago), and not a second receipt of the filing.
    _text_with(graph, wa_id, code, status_name("id", "needs_review"))
    assert not [t for t in _texts(graph, wa_id)
                if f"{code} {status_name('id', 'submitted')}" in t]  # the notifier's words
    operator = bearer(settings, "operator")
    eventually(lambda: act(api, code, "forward", operator, {"agencies": ["DLH"]}
                           ).status_code == 200, 60, f"{code} forwarded by an operator")
    _text_with(graph, wa_id, code, status_name("id", "forwarded"))

    agency = bearer(settings, "agency_admin", agency="DLH")
    answer = "Truk sampah dijadwalkan datang besok pagi"
    accepted = act(api, code, "accept", agency, {"public_response": answer})
    assert accepted.status_code == 200, accepted.text
    _text_with(graph, wa_id, code, status_name("id", "accepted"), answer)

    comment = requests.post(f"{api}/reports/{code}/comments", headers=agency, timeout=10,
                            json={"text": "Mohon sampah dipisahkan dulu"})
    assert comment.status_code == 201, comment.text
    _text_with(graph, wa_id, code, "Mohon sampah dipisahkan dulu")
    assert not _templates(graph, wa_id)  # all inside the window


def test_outside_the_24_hour_window_the_approved_template_is_sent(
        settings: Settings, graph: WhatsAppDouble):
    wa_id = _number()
    receipt = _file_as_connector(settings, wa_id)
    [template] = eventually(lambda: _templates(graph, wa_id), 60,
                            f"the template about {receipt['code']}")
    assert template["name"] == "aduan_status" and template["language"] == {"code": "id"}
    [body] = template["components"]
    values = [p["text"] for p in body["parameters"]]
    assert values[0] == receipt["code"]
    assert values[1] == status_name("id", "needs_review")
    assert f"/#/track/{receipt['code']}/" in values[2]  # the reporter's own link
    assert not _texts(graph, wa_id)


def test_stop_means_no_status_messages(api: str, settings: Settings, graph: WhatsAppDouble):
    wa_id = _number()
    _say(api, wa_id, meta.text(wa_id, "STOP"))
    receipt = _file_as_connector(settings, wa_id)
    sysadmin = bearer(settings, "sysadmin")

    def refused() -> dict[str, Any] | None:
        rows = requests.get(f"{api}/reports/{receipt['code']}/deliveries", headers=sysadmin,
                            timeout=10).json()["deliveries"]
        return next((r for r in rows if r["channel"] == "whatsapp"
                     and r["result"] in ("rejected", "sent")), None)

    delivery = eventually(refused, 60, f"the WhatsApp delivery about {receipt['code']}")
    assert delivery["result"] == "rejected" and "STOP" in delivery["error"]
    assert not _templates(graph, wa_id)
    assert not [t for t in _texts(graph, wa_id) if receipt["code"] in t]


def test_an_outage_of_the_graph_api_delays_the_message_but_sends_it_once(
        api: str, settings: Settings, graph: WhatsAppDouble):
    before = graph._sends
    graph.answer = lambda n: 503 if n == before + 1 else 200  # the next send fails
    try:
        wa_id = _number()
        receipt = _file_as_connector(settings, wa_id)
        sysadmin = bearer(settings, "sysadmin")

        def sent() -> dict[str, Any] | None:
            rows = requests.get(f"{api}/reports/{receipt['code']}/deliveries",
                                headers=sysadmin, timeout=10).json()["deliveries"]
            return next((r for r in rows if r["channel"] == "whatsapp"
                         and r["result"] == "sent"), None)

        delivery = eventually(sent, 60, f"the WhatsApp message about {receipt['code']}")
    finally:
        graph.answer = lambda _: 200
    assert delivery["attempts"] == 2
    assert "template" in delivery["provider_status"]
    assert len(_templates(graph, wa_id)) == 1
