"""The SMS provider as the channels service is handed it (aduan/infra/sms_provider.py
`SmsProvider`): one JSON POST through the session it is given (a fake here), the provider's
answer as a status or `SmsNotSent`, never quoting the number."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from aduan.infra.config import Settings
from aduan.infra.sms_provider import SmsNotSent, SmsProvider

SETTINGS = Settings(sms_url="http://sms.invalid/send", sms_auth_header="X-Api-Key: k1")


class FakeSession:
    def __init__(self, answer: int | Exception) -> None:
        self.answer = answer
        self.posted: list[tuple[str, Any, dict[str, str]]] = []

    def post(self, url: str, json: Any, headers: dict[str, str], timeout: float) -> Any:
        if isinstance(self.answer, Exception):
            raise self.answer
        self.posted.append((url, json, headers))
        return type("Answer", (), {"status_code": self.answer})()


def test_sent_through_the_session_it_is_given():
    session = FakeSession(202)
    assert SmsProvider(SETTINGS, session).send("+6281234", "Halo") == "HTTP 202"  # type: ignore[arg-type]
    [(url, body, headers)] = session.posted
    assert url == "http://sms.invalid/send" and headers["X-Api-Key"] == "k1"
    assert "+6281234" in str(body) and "Halo" in str(body)


@pytest.mark.parametrize("answer", [400, 500, requests.ConnectionError("to +6281234")])
def test_no_answer_or_not_2xx_is_not_sent(answer):
    with pytest.raises(SmsNotSent) as err:
        SmsProvider(SETTINGS, FakeSession(answer)).send("+6281234", "Halo")  # type: ignore[arg-type]
    assert "6281234" not in str(err.value)
