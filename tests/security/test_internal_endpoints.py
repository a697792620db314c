"""The gateway is the public port: an attacker asks it for the platform's metrics and readiness
details, which name internal hosts, ports and services. Both are served only on the gateway's
internal listener (`ADUAN_INTERNAL_PORT`, a second gunicorn bind)."""

from __future__ import annotations

import pytest
import requests
from extra_process import extra_process
from http_receiver import free_port
from waiting import eventually

from tools.devstack import http_service_argv

pytestmark = pytest.mark.stack

INTERNAL_NAMES = ("127.0.0.1", "localhost", "http://", "mongodb", "amqp", "intake",
                  "verification", "routing", "notification")


def test_attacker_scrapes_metrics_on_the_public_gateway_gets_404(stack):
    public = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    internal_port = stack.profile.metrics_port("gateway")
    scraped = requests.get(f"{public}/metrics", timeout=10)
    assert scraped.status_code == 404 and "aduan_" not in scraped.text
    # Naming the internal port in the Host header changes nothing: the listener decides.
    spoofed = requests.get(f"{public}/metrics", headers={"Host": f"127.0.0.1:{internal_port}"},
                           timeout=10)
    assert spoofed.status_code == 404
    inside = requests.get(f"http://127.0.0.1:{internal_port}/metrics", timeout=10)
    assert inside.status_code == 200 and "aduan_http_request_duration_seconds" in inside.text


def test_attacker_reads_health_and_readiness_on_the_public_gateway_learns_no_internal_host(
        stack):
    public = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    for path in ("/healthz", "/readyz"):
        answer = requests.get(f"{public}{path}", timeout=10)
        assert answer.status_code == 200
        assert set(answer.json()) <= {"status", "service"}
        assert not [name for name in INTERNAL_NAMES[:5] if name in answer.text], answer.text


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_attacker_reads_readiness_of_a_failing_gateway_learns_no_internal_host(stack):
    """A gateway whose upstream is down: the details exist, but only on the internal port."""
    dead, public_port, internal_port = free_port(), free_port(), free_port()
    argv = http_service_argv("gateway", public_port, internal_port,
                             name="aduan-gateway-failing")
    settings = {"WEB_WORKERS": "1", "INTERNAL_PORT": str(internal_port),
                "NOTIFICATION_URL": f"http://127.0.0.1:{dead}"}
    public, internal = f"http://127.0.0.1:{public_port}", f"http://127.0.0.1:{internal_port}"
    with extra_process(stack, "gateway-failing", argv, settings):
        eventually(lambda: _answers(f"{public}/healthz"), 60, "the failing gateway's liveness")
        outside = requests.get(f"{public}/readyz", timeout=10)
        assert outside.status_code == 503
        assert outside.json() == {"status": "unavailable"}
        assert str(dead) not in outside.text
        assert not [name for name in INTERNAL_NAMES if name in outside.text], outside.text
        inside = requests.get(f"{internal}/readyz", timeout=10)
        assert inside.status_code == 503
        assert str(dead) in inside.json()["failures"]["notification"]
