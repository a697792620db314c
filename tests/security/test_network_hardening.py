"""Issue 15, section 4: an attacker against the network-facing edges of the running platform.

Every packet stays on this machine: webhook targets are literal addresses that are refused
before anything is sent, or loopback receivers of this suite that must never be called."""

from __future__ import annotations

import sys

import pytest
import requests
from extra_process import extra_http_service, extra_process
from http_receiver import Receiver, free_port
from notification_helpers import staff_headers, submit_depok
from stack_client import pipeline_settled
from waiting import eventually

pytestmark = pytest.mark.stack

SECRET = "webhook-secret-for-tests-0001"
# Settings of a production deployment: no host list, no private exception.
PRODUCTION_WEBHOOKS = {"WEBHOOK_ALLOWED_HOSTS": "", "WEBHOOK_PRIVATE_HOSTS": ""}


def _subscription(url: str) -> dict:
    return {"url": url, "secret": SECRET, "events": ["report.submitted"], "city": "depok",
            "owner": "city"}


# ---- 1. webhooks: server-side request forgery -------------------------------------------

@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
])
def test_attacker_registers_a_webhook_to_the_cloud_metadata_address_is_refused(
        api, settings, db, url):
    before = db.webhook_subscriptions.count_documents({})
    response = requests.post(f"{api}/webhooks", json=_subscription(url),
                             headers=staff_headers(settings, "sysadmin"), timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "webhook_address_not_allowed"
    assert db.webhook_subscriptions.count_documents({}) == before


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://192.168.1.1/admin", "http://172.16.0.1/", "http://100.64.0.1/",
    "http://[::1]:15672/api/users", "http://[fd00::1]/", "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]:27017/", "http://[::ffff:a00:1]/", "http://0.0.0.0:8080/",
    "http://224.0.0.1/", "http://[ff02::1]/",
])
def test_attacker_registers_a_webhook_to_a_private_or_loopback_address_is_refused(
        api, settings, db, url):
    before = db.webhook_subscriptions.count_documents({})
    response = requests.post(f"{api}/webhooks", json=_subscription(url),
                             headers=staff_headers(settings, "sysadmin"), timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "webhook_address_not_allowed"
    assert db.webhook_subscriptions.count_documents({}) == before


def test_attacker_registers_a_webhook_to_a_name_that_resolves_to_loopback_is_refused(
        api, settings, db):
    """The test stack lets its own receivers on 127.0.0.1 through, under that spelling only:
    `localhost` resolves to the very same address and is refused."""
    with Receiver() as receiver:
        url = f"http://localhost:{receiver.port}/hook"
        response = requests.post(f"{api}/webhooks", json=_subscription(url),
                                 headers=staff_headers(settings, "sysadmin"), timeout=10)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "webhook_address_not_allowed"
        assert db.webhook_subscriptions.count_documents({"url": url}) == 0
        submit_depok(api)
        pipeline_settled(api, db)
    assert receiver.received == []


@pytest.mark.parametrize("spelling", ["127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1"])
def test_attacker_spells_loopback_as_a_number_the_resolver_accepts_is_refused(
        stack, settings, db, spelling):
    """A production-like notification service (no host list, no private exception) beside the
    stack: the host is not an IP literal to Python, but the system resolver turns it into
    127.0.0.1 without asking any DNS server."""
    with Receiver() as receiver, extra_http_service(stack, "notification", free_port(),
                                                    PRODUCTION_WEBHOOKS) as notification:
        url = f"http://{spelling}:{receiver.port}/hook"
        response = requests.post(f"{notification}/webhooks", json=_subscription(url),
                                 headers=staff_headers(settings, "sysadmin"), timeout=10)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "webhook_address_not_allowed"
        assert db.webhook_subscriptions.count_documents({"url": url}) == 0
    assert receiver.received == []


@pytest.fixture
def production_dispatcher(stack):
    """The stack's webhook dispatchers replaced by one with production settings for the test."""
    names = [name for name in list(stack.processes) if name.startswith("webhook-dispatcher-")]
    for name in names:
        stack.stop_process(name)
    try:
        with extra_process(stack, "webhook-dispatcher-production",
                           [sys.executable, "-m", "services.notification.dispatcher"],
                           PRODUCTION_WEBHOOKS):
            yield
    finally:
        for copy in range(len(names)):
            stack.start_worker("webhook-dispatcher", copy)


def test_attacker_webhook_whose_host_resolves_to_loopback_at_send_time_is_never_called(
        api, settings, db, production_dispatcher):
    """The subscription passed the check when it was made (the test stack allows 127.0.0.1);
    at send time its host is a loopback address to a dispatcher that allows none, as after a
    DNS answer changed (rebinding). The dispatcher checks again and parks the delivery."""
    admin = staff_headers(settings, "sysadmin")
    with Receiver() as receiver:
        created = requests.post(f"{api}/webhooks", json=_subscription(receiver.url),
                                headers=admin, timeout=10)
        assert created.status_code == 201, created.text
        subscription = created.json()["id"]
        try:
            receipt = submit_depok(api)
            parked = eventually(lambda: db.deliveries.find_one(
                {"report_id": receipt["id"], "subscription_id": subscription,
                 "result": "parked"}), what="the delivery parked")
        finally:
            requests.delete(f"{api}/webhooks/{subscription}", headers=admin, timeout=10)
    assert parked["error"] == "address_not_allowed" and parked["attempts"] == 1
    assert receiver.received == []


# ---- 4. headers on every page and answer ------------------------------------------------

def _answers(stack) -> list[requests.Response]:
    """The console page, a console asset, API answers and errors of the gateway, and health
    and error answers of every service behind it."""
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    urls = [f"{gateway}/", f"{gateway}/static/js/app.js", f"{gateway}/api/v1/categories",
            f"{gateway}/api/v1/reports/PDG-0000-000", f"{gateway}/no-such-page",
            f"{gateway}/open311/v2/services.xml?jurisdiction_id=padang"]
    for service, port in stack.profile.http_ports.items():
        if service != "gateway":
            urls += [f"http://127.0.0.1:{port}/healthz", f"http://127.0.0.1:{port}/nope"]
    return [requests.get(url, timeout=10) for url in urls]


def test_attacker_frames_a_page_or_answer_in_another_site_is_refused_by_every_service(stack):
    for answer in _answers(stack):
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, answer.url
        assert answer.headers.get("X-Frame-Options") == "DENY", answer.url


def test_attacker_gets_an_answer_sniffed_as_a_script_or_page_is_refused(stack):
    for answer in _answers(stack):
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", answer.url
        if not answer.url.endswith("/"):  # only the console page may load anything at all
            assert answer.headers["Content-Security-Policy"].startswith(
                "default-src 'none'"), answer.url


def test_attacker_site_linked_from_a_page_learns_no_tracking_url_from_the_referrer(stack):
    for answer in _answers(stack):
        assert answer.headers.get("Referrer-Policy") == "no-referrer", answer.url
        # A development stack speaks plain HTTP: it must not pin browsers to HTTPS.
        assert "Strict-Transport-Security" not in answer.headers, answer.url
