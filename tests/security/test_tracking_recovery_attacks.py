"""Item: the one-time code that gives a reporter their tracking access on another device
(services/intake/recovery.py) is no way in for anyone else: asking for it tells a stranger
nothing, guessing it is cut short, and a gateway limits each address (a gateway beside the
stack with the production limit; the suite's own gateway lifts it like the other limits)."""

from __future__ import annotations

import pytest
import requests
from attackers import file_report, settle
from extra_process import extra_http_service
from http_receiver import free_port
from notification_helpers import mails, one_time_code
from photo_factory import fresh_padang_photo
from stack_client import REPORT
from waiting import eventually

pytestmark = pytest.mark.stack


def _recover(api: str, code: str, contact: str, **headers: str) -> requests.Response:
    return requests.post(f"{api}/tracking/recover", json={"code": code, "contact": contact},
                         headers=headers, timeout=10)


def _verify(api: str, code: str, otp: str, **headers: str) -> requests.Response:
    return requests.post(f"{api}/tracking/verify", json={"code": code, "otp": otp},
                         headers=headers, timeout=10)


def _without_request_id(response: requests.Response) -> tuple[int, dict]:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body


def test_stranger_asks_for_codes_with_guessed_contacts_and_learns_nothing(api, stack):
    victim = "korban.rahasia@example.id"
    receipt = file_report(api, fresh_padang_photo(), privacy="confidential",
                          reporter={**REPORT["reporter"], "email": victim})
    code = receipt["code"]
    settle(api, receipt, {"forwarded", "needs_review", "verified", "referred"})
    guesses = [_recover(api, code, contact) for contact in (
        "warga@example.id", "+6281200000000", "admin@padang.go.id", "korban@example.id")]
    missing = _recover(api, "PDG-2026-222-222-222", victim)
    answers = [_without_request_id(r) for r in [*guesses, missing]]
    assert all(answer == answers[0] for answer in answers) and answers[0][0] == 202
    # The victim then asks: theirs is the only code mail, so the guesses sent nothing.
    assert _without_request_id(_recover(api, code, victim)) == answers[0]
    eventually(lambda: mails(stack.maildir, victim, "Kode akses"), 30, "the victim's code")
    assert len(mails(stack.maildir, victim, "Kode akses")) == 1


def test_stranger_guessing_a_live_code_burns_it_after_five_tries(api, stack):
    victim = "korban.tebak@example.id"
    receipt = file_report(api, fresh_padang_photo(),
                          reporter={**REPORT["reporter"], "email": victim})
    code = receipt["code"]
    settle(api, receipt, {"forwarded", "needs_review", "verified", "referred"})
    assert _recover(api, code, victim).status_code == 202
    message = eventually(lambda: mails(stack.maildir, victim, "Kode akses"), 30, "the code")[0]
    otp = one_time_code(message)
    wrong = [f"{(int(otp) + n) % 10 ** 6:06d}" for n in range(1, 6)]
    refusals = [_without_request_id(_verify(api, code, guess)) for guess in wrong]
    assert all(r == refusals[0] for r in refusals) and refusals[0][0] == 422
    assert refusals[0][1]["error"]["code"] == "invalid_code"
    # Five wrong answers used the code up: the right one no longer opens the report.
    assert _without_request_id(_verify(api, code, otp)) == refusals[0]
    # An unknown report is refused the same way.
    assert _without_request_id(_verify(api, "PDG-2026-222-222-222", otp)) == refusals[0]


@pytest.fixture(scope="module")
def gateway_with_the_production_limit(stack):
    """A gateway beside the stack with the shipped recovery limit, trusting 127.0.0.1 as its
    proxy, so each test address has its own budget."""
    with extra_http_service(stack, "gateway", free_port(), {
            "TRUSTED_PROXIES": "127.0.0.1", "RECOVERY_LIMIT_PER_IP": "10"}) as url:
        yield f"{url}/api/v1"


def test_attacker_trying_codes_from_one_address_is_stopped_by_the_gateway(
        gateway_with_the_production_limit):
    """2N+1 tries: the first N are answered whatever the minute's window, and however the
    window falls (the limit is per fixed minute), one window holds more than N."""
    api, address = gateway_with_the_production_limit, {"X-Forwarded-For": "203.0.113.77"}
    answers = [_verify(api, "PDG-2026-222-222-222", f"{n:06d}", **address).status_code
               for n in range(2 * 10 + 1)]
    assert answers[:10] == [422] * 10 and set(answers) == {422, 429}
    other = _verify(api, "PDG-2026-222-222-222", "000000", **{"X-Forwarded-For": "203.0.113.78"})
    assert other.status_code == 422  # another address has its own budget
