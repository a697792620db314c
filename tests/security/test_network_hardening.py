"""Issue 15, section 4: an attacker against the network-facing edges of the running platform.

Every packet stays on this machine: webhook targets are literal addresses that are refused
before anything is sent, or loopback receivers of this suite that must never be called."""

from __future__ import annotations

import sys
import uuid

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


# ---- 3. client address and sign-in -------------------------------------------------------

PASSWORD = "kata-sandi-yang-benar-123"
RATE_LIMIT = 5


def _new_operator(api: str, settings) -> str:
    username = f"op-{uuid.uuid4().hex[:10]}"
    created = requests.post(f"{api}/users", headers=staff_headers(settings, "sysadmin", "padang"),
                            json={"username": username, "password": PASSWORD,
                                  "role": "operator", "city": "padang"}, timeout=10)
    assert created.status_code == 201, created.text
    return username


def _login(api: str, username: str, password: str, forwarded_for: str | None = None
           ) -> requests.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return requests.post(f"{api}/auth/login", json={"username": username, "password": password},
                         headers=headers, timeout=10)


def _code(response: requests.Response) -> str:
    return response.json()["error"]["code"]


def test_attacker_guessing_one_accounts_password_must_wait_longer_after_each_failure(
        api, settings):
    """The threshold is the default (5) in the test stack, whose per-address limits are off."""
    username = _new_operator(api, settings)
    for _ in range(settings.login_failures_before_backoff):
        assert _code(_login(api, username, "salah-tebak-123")) == "invalid_credentials"
    # Even the right password is not checked while the account waits.
    throttled = _login(api, username, PASSWORD)
    assert throttled.status_code == 429 and _code(throttled) == "login_throttled"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 2
    # Once the wait is over the owner gets in, and that starts the account from zero.
    eventually(lambda: _login(api, username, PASSWORD).status_code == 200, timeout_s=10,
               what="sign-in after the wait", every_s=0.5)
    assert _code(_login(api, username, "salah-tebak-123")) == "invalid_credentials"


@pytest.fixture(scope="module")
def gateway_behind_proxy(stack):
    """A gateway beside the stack that trusts 127.0.0.1 as its load balancer, with a small
    per-address limit (its counters are keyed by addresses only these tests write)."""
    with extra_http_service(stack, "gateway", free_port(), {
            "TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_PER_IP": str(RATE_LIMIT)}) as url:
        yield f"{url}/api/v1"


@pytest.fixture(scope="module")
def gateway_without_proxy(stack, settings, db):
    """The same, but no proxy is trusted: callers reach it directly."""
    database = f"{settings.mongo_db}_xff_{uuid.uuid4().hex[:6]}"
    with extra_http_service(stack, "gateway", free_port(), {
            "RATE_LIMIT_PER_IP": str(RATE_LIMIT), "MONGO_DB": database}) as url:
        yield f"{url}/api/v1"
    db.client.drop_database(database)


def test_attacker_spreading_guesses_over_many_addresses_is_slowed_down_all_the_same(
        api, settings, gateway_behind_proxy):
    """Through a gateway that believes its proxy, every guess comes from another client
    address; the account still makes each of them wait."""
    username = _new_operator(api, settings)
    for n in range(settings.login_failures_before_backoff):
        refused = _login(gateway_behind_proxy, username, "salah-tebak-123", f"198.51.100.{n}")
        assert _code(refused) == "invalid_credentials"
    throttled = _login(gateway_behind_proxy, username, PASSWORD, "198.51.100.200")
    assert throttled.status_code == 429 and _code(throttled) == "login_throttled"


def _codes(url: str, forwarded_for: list[str]) -> list[int]:
    return [requests.get(url, headers={"X-Forwarded-For": f}, timeout=10).status_code
            for f in forwarded_for]


def test_attacker_rotating_x_forwarded_for_to_dodge_the_address_limit_is_limited(
        gateway_without_proxy):
    """2N+1 requests: however a minute's window falls, one window holds more than N."""
    statuses = _codes(f"{gateway_without_proxy}/categories",
                      [f"198.51.100.{n}" for n in range(2 * RATE_LIMIT + 1)])
    assert 429 in statuses


def test_attacker_behind_the_trusted_proxy_prepending_fake_addresses_is_limited_by_the_real_one(
        gateway_behind_proxy):
    """The proxy appends the address it saw (203.0.113.7); what the attacker wrote before it
    changes nothing. Another client behind the same proxy is not limited."""
    real = f"203.0.113.{uuid.uuid4().int % 200}"
    other = f"192.0.2.{uuid.uuid4().int % 200}"
    statuses = _codes(f"{gateway_behind_proxy}/categories",
                      [f"198.51.100.{n}, {real}" for n in range(2 * RATE_LIMIT + 1)])
    assert 429 in statuses
    assert _codes(f"{gateway_behind_proxy}/categories", [other]) == [200]
