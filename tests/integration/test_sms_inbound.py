"""Inbound SMS (issue 19, services/channels/sms_inbound.py), through the gateway as the city's
SMS provider calls it: a resident's SMS becomes a report in the operators' queue and the
tracking code comes back by SMS; a retried delivery is the same report; a reply becomes the
reporter's comment; STOP silences the number; a wrong secret changes nothing.

The provider is a `Receiver` (tests/http_receiver.py), a real local HTTP server standing in
for the SMS gateway we cannot reach; the channels service and the notification worker are
restarted pointed at it (and with the inbound secret), and restored afterwards.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from http_receiver import Receiver
from notification_helpers import SMS_SETTINGS
from photo_factory import INSIDE
from waiting import eventually
from workflow_client import act, bearer, workflow

from aduan.domain.status_names import status_name
from aduan.infra.config import Settings

pytestmark = pytest.mark.stack

SECRET = "test-sms-inbound-secret"
# A city other tests leave alone, so that the operators' queue (oldest first, 200 at most)
# shows these reports.
CITY = "kotamobagu"


def _restart(stack, name: str) -> None:
    if name == "channels":
        stack.stop_process("channels")
        stack.start_http("channels")
        port = stack.profile.http_ports["channels"]
        eventually(lambda: _ready(port), 60, "the channels service back up")
    else:
        [worker] = [n for n in stack.processes if n.startswith(name)]
        stack.stop_process(worker)
        stack.start_worker(name)


def _ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def provider(stack) -> Iterator[Receiver]:
    with Receiver() as receiver:
        overrides = {"SMS_URL": receiver.url, **SMS_SETTINGS,
                     "SMS_INBOUND_SECRET": SECRET, "SMS_INBOUND_CITY": CITY}
        stack.overrides.update(overrides)
        _restart(stack, "channels")
        _restart(stack, "notification-worker")
        try:
            yield receiver
        finally:
            for key in overrides:
                stack.overrides.pop(key)
            _restart(stack, "channels")
            _restart(stack, "notification-worker")


def _phone() -> str:
    return f"0812{random.randrange(10**7, 10**8)}"


def _e164(phone: str) -> str:
    return "+62" + phone[1:]


def _sms(api: str, phone: str, text: str, message_id: str | None = None,
         secret: str | None = SECRET) -> requests.Response:
    form = {"from": phone, "text": text}
    if message_id:
        form["message_id"] = message_id
    headers = {"X-Sms-Secret": secret} if secret is not None else {}
    return requests.post(f"{api}/channels/sms", data=form, headers=headers, timeout=30)


def _texts_to(provider: Receiver, phone: str) -> list[str]:
    sent = [json.loads(body) for body in provider.bodies()]
    return [s["message"] for s in sent if s.get("msisdn") == _e164(phone)]


def _operator(settings: Settings) -> dict[str, str]:
    return bearer(settings, "operator", city=CITY)


def _staff_view(api: str, code: str, settings: Settings) -> dict[str, Any]:
    response = requests.get(f"{api}/staff/reports/{code}", headers=_operator(settings),
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _in_queue(api: str, code: str, settings: Settings) -> dict[str, Any] | None:
    rows = requests.get(f"{api}/queue", headers=_operator(settings), timeout=10).json()
    return next((r for r in rows["reports"] if r["code"] == code and
                 r["status"] == "needs_review"), None)


def test_an_sms_report_reaches_the_operators_queue_and_its_code_goes_back(
        api: str, settings: Settings, provider: Receiver):
    phone = _phone()
    response = _sms(api, phone, "SAMPAH Jl. Sudirman depan pasar # sampah menumpuk tiga hari",
                    message_id=f"prov-{uuid.uuid4().hex}")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["result"] == "filed"
    code = answer["code"]
    row = eventually(lambda: _in_queue(api, code, settings), 60,
                     f"{code} in the operators' queue")
    assert row["no_photo"] is True and row["category"] == "waste"
    view = _staff_view(api, code, settings)
    assert view["channel"] == "sms"
    assert view["location"]["address"] == "Jl. Sudirman depan pasar"
    assert view["location"].get("lat") is None  # the operators complete the point
    assert view["description"] == "sampah menumpuk tiga hari"
    assert view["reporter"]["phone"] == _e164(phone)
    # The tracking code comes back by SMS: the notifier's receipt of report.submitted.
    texts = eventually(lambda: [t for t in _texts_to(provider, phone) if code in t], 60,
                       f"the receipt of {code} by SMS")
    assert status_name("id", "submitted") in texts[0]
    assert texts[0].endswith("Balas SMS ini untuk menambah keterangan.")


def test_a_retried_delivery_is_the_same_report(api: str, provider: Receiver):
    phone, message_id = _phone(), f"prov-{uuid.uuid4().hex}"
    text = "JALAN berlubang besar di Jl. Ahmad Yani dekat sekolah"
    first = _sms(api, phone, text, message_id)
    again = _sms(api, phone, text, message_id)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json()["code"] == again.json()["code"]
    # Without a message id, the same text from the same number within hours is too, whatever
    # minute each arrives in (services/channels/sms_links.py SAME_TEXT_KEPT; the unit tests
    # prove the window with explicit times).
    one, two = _sms(api, phone, text + " lagi"), _sms(api, phone, text + " lagi")
    assert one.json()["code"] == two.json()["code"] != first.json()["code"]


def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(
        api: str, db, provider: Receiver):
    phone = _phone()
    for secret in ("wrong-secret", None, ""):
        response = _sms(api, phone, "SAMPAH di depan pasar raya menumpuk", secret=secret)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_sms_secret"
    # A later, good message from the same number is its first report.
    good = _sms(api, phone, "SAMPAH di depan pasar raya menumpuk sejak kemarin")
    assert good.status_code == 200, good.text
    assert db.reports.count_documents({"reporter.phone": _e164(phone)}) == 1


def test_the_operator_completes_the_point_when_verifying(
        api: str, settings: Settings, provider: Receiver):
    code = _sms(api, _phone(), "SAMPAH Jl. Adampe Dolot # sampah dibuang ke saluran air"
                ).json()["code"]
    operator = _operator(settings)
    eventually(lambda: workflow(api, code, operator)["forward_due_at"], 60,
               f"{code} waiting for the operators")
    padang = INSIDE["padang"]
    outside = act(api, code, "verify", operator, {"point": {"lat": padang[0],
                                                            "lon": padang[1]}})
    assert outside.status_code == 422, outside.text
    assert outside.json()["error"]["code"] == "point_outside_city"
    lat, lon = INSIDE[CITY]
    done = act(api, code, "verify", operator, {"point": {"lat": lat, "lon": lon},
                                               "note": "Titik dari telepon warga"})
    assert done.status_code == 200, done.text
    # With its point, routing sends it by the category's rule like any verified report.
    view = eventually(lambda: (v := _staff_view(api, code, settings))["status"] == "forwarded"
                      and v, 60, f"{code} routed")
    assert view["location"] == {"address": "Jl. Adampe Dolot", "lat": lat, "lon": lon}
    assert view["kecamatan"]["name"] == "Kotamobagu Timur"
    assert [a["code"] for a in view["assignments"]] == ["DLH"]


def test_a_city_names_its_own_keywords(api: str, settings: Settings, provider: Receiver):
    sysadmin = bearer(settings, "sysadmin", city=CITY)
    patched = requests.patch(f"{api}/categories/parking", headers=sysadmin, timeout=10,
                             json={"sms_keywords": ["TROTOAR", "PARKIR"]})
    assert patched.status_code == 200, patched.text
    try:
        answer = _sms(api, _phone(), "TROTOAR Jl. Ahmad Yani # mobil parkir di atas trotoar")
        assert answer.json()["result"] == "filed", answer.text
        view = _staff_view(api, answer.json()["code"], settings)
        assert view["category"] == "parking"
        bad = requests.patch(f"{api}/categories/parking", headers=sysadmin, timeout=10,
                             json={"sms_keywords": ["two words"]})
        assert bad.status_code == 422
    finally:
        restored = requests.patch(f"{api}/categories/parking", headers=sysadmin, timeout=10,
                                  json={"sms_keywords": None})
        assert restored.status_code == 200, restored.text


def test_bad_forms_get_4xx(api: str, provider: Receiver):
    bad_sender = _sms(api, "not-a-number", "SAMPAH di depan pasar raya")
    assert bad_sender.status_code == 422
    assert bad_sender.json()["error"]["code"] == "invalid_sender"
    empty = _sms(api, _phone(), "   ")
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_text"
    as_json = requests.post(f"{api}/channels/sms", json={"from": _phone(), "text": "SAMPAH x"},
                            headers={"X-Sms-Secret": SECRET}, timeout=10)
    assert as_json.status_code == 415


def test_a_reply_to_a_status_sms_becomes_the_reporters_comment(
        api: str, settings: Settings, provider: Receiver):
    phone = _phone()
    code = _sms(api, phone, "BANJIR Jl. Veteran # genangan setinggi lutut sejak pagi"
                ).json()["code"]
    message_id = f"prov-{uuid.uuid4().hex}"
    reply = _sms(api, phone, "Sekarang airnya sudah masuk ke rumah warga", message_id)
    assert reply.json() == {"result": "commented", "code": code}
    again = _sms(api, phone, "Sekarang airnya sudah masuk ke rumah warga", message_id)
    assert again.json() == {"result": "commented", "code": code}
    comments = _staff_view(api, code, settings)["comments"]
    assert [(c["by"], c["text"]) for c in comments] == [
        ("reporter", "Sekarang airnya sudah masuk ke rumah warga")]
    eventually(lambda: [t for t in _texts_to(provider, phone) if "tanggapan" in t.lower()],
               30, "the answer that the reply was passed on")


def test_a_number_without_an_open_report_gets_the_format(api: str, provider: Receiver):
    phone = _phone()
    response = _sms(api, phone, "Halo, ini nomor pengaduan kota?")
    assert response.json() == {"result": "help"}
    [answer] = eventually(lambda: _texts_to(provider, phone), 30, "the how-to SMS")
    assert "SAMPAH" in answer and "STOP" in answer


def test_stop_silences_the_number_until_it_reports_again(
        api: str, settings: Settings, provider: Receiver):
    phone = _phone()
    code = _sms(api, phone, "PJU Jl. Hamka # lampu jalan mati sejak seminggu").json()["code"]
    eventually(lambda: [t for t in _texts_to(provider, phone) if code in t], 60,
               f"the receipt of {code}")
    assert _sms(api, phone, "STOP").json() == {"result": "stopped"}
    operator = _operator(settings)
    eventually(lambda: workflow(api, code, operator)["forward_due_at"], 60,
               f"{code} waiting for the operators")
    done = act(api, code, "archive", operator, {"note": "Sudah diperbaiki PLN"})
    assert done.status_code == 200, done.text

    def archived_sms() -> dict[str, Any] | None:
        rows = requests.get(f"{api}/reports/{code}/deliveries", timeout=10,
                            headers=bearer(settings, "sysadmin", city=CITY)).json()
        return next((r for r in rows["deliveries"] if r["event"] == "report.status_changed"
                     and r["channel"] == "sms" and r["result"] in ("rejected", "sent")), None)

    delivery = eventually(archived_sms, 60, f"the SMS delivery of {code}'s archiving")
    assert delivery["result"] == "rejected" and "STOP" in (delivery["error"] or "")
    # Reporting again asks for answers again.
    again = _sms(api, phone, "PJU Jl. Hamka ujung # lampu jalan mati juga di sini")
    new_code = again.json()["code"]
    eventually(lambda: [t for t in _texts_to(provider, phone) if new_code in t], 60,
               f"the receipt of {new_code} after reporting again")
