"""A city switches a connector on and forgets (or copies from an example) its credentials: the
connector's processes refuse to start in production, naming the variable, as compose and
Kubernetes start them. Good platform secrets are given, so only the connector's are missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools.devstack import ROOT, SCHEDULED, http_service_argv

GOOD_SECRETS = {
    "ADUAN_JWT_SECRET": "5a" * 32,
    "ADUAN_TOKEN_SECRET": "6b" * 32,
    "ADUAN_DELIVERY_HASH_SECRET": "9f" * 32,
    "ADUAN_S3_SECRET_KEY": "7c" * 16,
    "ADUAN_AMQP_URL": f"amqp://aduan:{'8d' * 16}@127.0.0.1:1/%2F",
}


def _start(argv: list[str], tmp_path, **settings: str) -> list[str]:
    """The refusals printed by a production process that was not allowed to start."""
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "ADUAN_ENV": "production",
               **GOOD_SECRETS, **settings}
    started = subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True,
                             timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert started.returncode != 0, started.stderr[-2000:]
    prefix = "refusing to start with ADUAN_ENV=production: "
    return [line.partition(prefix)[2] for line in started.stderr.splitlines() if prefix in line]


def test_whatsapp_switched_on_without_its_app_secret(tmp_path) -> None:
    refusals = _start(http_service_argv("channels", 0), tmp_path,
                      ADUAN_WHATSAPP_PHONE_NUMBER_ID="106540352242922",
                      ADUAN_WHATSAPP_ACCESS_TOKEN="EAAG" + "c3" * 60,
                      ADUAN_WHATSAPP_VERIFY_TOKEN="e5" * 16)
    assert refusals == ["ADUAN_WHATSAPP_APP_SECRET is not set (or holds no secret)"]


@pytest.mark.parametrize("tokens", ["padang=CHANGE-ME", ""])
def test_lapor_switched_on_with_a_placeholder_or_no_token(tmp_path, tokens: str) -> None:
    _, module, arguments = SCHEDULED["lapor-import"]
    refusals = _start([sys.executable, "-m", module, *arguments], tmp_path,
                      ADUAN_LAPOR_BASE_URL="https://api.lapor.example/v1",
                      ADUAN_LAPOR_TOKENS=tokens)
    assert [line.split()[0] for line in refusals] == ["ADUAN_LAPOR_TOKENS"]
    assert "CHANGE-ME" not in "\n".join(refusals)  # never printed back


def test_a_weak_inbound_sms_secret(tmp_path) -> None:
    refusals = _start(http_service_argv("channels", 0), tmp_path,
                      ADUAN_SMS_INBOUND_SECRET="sms123")
    assert refusals == ["ADUAN_SMS_INBOUND_SECRET is too short: 6 bytes, at least 16"]
