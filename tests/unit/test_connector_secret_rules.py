"""The connectors' credentials under the production secret policy: required while their
connector is on, refused when shipped or short, and nothing asked of a city that runs none."""

from __future__ import annotations

from dataclasses import fields

import pytest

from aduan.infra import secret_policy
from aduan.infra.config import Settings

BASE = {
    "ADUAN_JWT_SECRET": "1f" * 32, "ADUAN_TOKEN_SECRET": "2e" * 32,
    "ADUAN_S3_SECRET_KEY": "3d" * 16, "ADUAN_DELIVERY_HASH_SECRET": "5f" * 32,
    "ADUAN_AMQP_URL": f"amqp://aduan:{'4c' * 16}@rabbitmq:5672/%2F",
}
LAPOR_ON = {"ADUAN_LAPOR_BASE_URL": "https://api.lapor.example/v1",
            "ADUAN_LAPOR_TOKENS": f"padang={'a1' * 16},jambi={'b2' * 16}"}
WHATSAPP_ON = {"ADUAN_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
               "ADUAN_WHATSAPP_ACCESS_TOKEN": "EAAG" + "c3" * 60,
               "ADUAN_WHATSAPP_APP_SECRET": "d4" * 16,
               "ADUAN_WHATSAPP_VERIFY_TOKEN": "e5" * 16}


def problems(**environ: str) -> list[str]:
    environ = {**BASE, **environ}
    names = {f"ADUAN_{f.name.upper()}": f.name for f in fields(Settings)}
    settings = Settings(env="production",
                        **{names[k]: v for k, v in environ.items() if k in names})
    return secret_policy.problems(settings, environ)


def named(found: list[str]) -> list[str]:
    return [problem.split()[0] for problem in found]


def test_a_city_without_connectors_needs_none_of_their_secrets() -> None:
    assert problems() == []


def test_connectors_with_real_credentials_start() -> None:
    assert problems(**LAPOR_ON, **WHATSAPP_ON, ADUAN_SMS_INBOUND_SECRET="f6" * 16) == []


def test_lapor_on_needs_a_token() -> None:
    assert named(problems(ADUAN_LAPOR_BASE_URL=LAPOR_ON["ADUAN_LAPOR_BASE_URL"])) == [
        "ADUAN_LAPOR_TOKENS"]


@pytest.mark.parametrize("tokens", [f"padang={'a1' * 16},jambi=CHANGE-ME",
                                    f"padang={'a1' * 16},jambi=short-token"])
def test_every_city_token_must_be_real(tokens: str) -> None:
    [problem] = problems(**{**LAPOR_ON, "ADUAN_LAPOR_TOKENS": tokens})
    assert problem.startswith("ADUAN_LAPOR_TOKENS ")
    assert "a1a1" not in problem  # the message never quotes a secret


@pytest.mark.parametrize("variable", ["ADUAN_WHATSAPP_ACCESS_TOKEN", "ADUAN_WHATSAPP_APP_SECRET",
                                      "ADUAN_WHATSAPP_VERIFY_TOKEN"])
def test_whatsapp_on_needs_each_of_its_secrets(variable: str) -> None:
    without = {k: v for k, v in WHATSAPP_ON.items() if k != variable}
    assert named(problems(**without)) == [variable]
    assert named(problems(**{**WHATSAPP_ON, variable: "change-me-to-the-real-one"})) == [variable]


def test_a_whatsapp_secret_that_is_set_must_be_real_even_with_the_channel_off() -> None:
    assert named(problems(ADUAN_WHATSAPP_APP_SECRET="secret")) == ["ADUAN_WHATSAPP_APP_SECRET"]


def test_inbound_sms_is_off_without_its_secret_and_refuses_a_weak_one() -> None:
    assert problems(ADUAN_SMS_INBOUND_SECRET="") == []
    assert named(problems(ADUAN_SMS_INBOUND_SECRET="sms-pw")) == ["ADUAN_SMS_INBOUND_SECRET"]
