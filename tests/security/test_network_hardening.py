"""Issue 15, section 4: an attacker against the network-facing edges of the running platform.

Every packet stays on this machine: webhook targets are literal addresses that are refused
before anything is sent, or loopback receivers of this suite that must never be called."""

from __future__ import annotations

import math
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from xml.dom import minidom

import pytest
import requests
from extra_process import extra_http_service, extra_process
from http_receiver import Receiver, free_port
from notification_helpers import staff_headers, submit_depok
from photo_factory import fresh_padang_photo
from stack_client import REPORT, pipeline_settled, submit, wait_for_status
from tls_mail_server import tls_mail_server
from waiting import eventually

from aduan.infra.config import Settings
from services.notification.deliveries import DeliveryFailed
from services.notification.email import send_email
from services.notification.templates import Rendered

pytestmark = pytest.mark.stack

SECRET = "webhook-secret-for-tests-0001"
# Settings of a production deployment: no host list, no private exception.
PRODUCTION_WEBHOOKS = {"WEBHOOK_ALLOWED_HOSTS": "", "WEBHOOK_PRIVATE_HOSTS": ""}


def _subscription(url: str) -> dict:
    return {"url": url, "secret": SECRET, "events": ["report.submitted"], "city": "depok",
            "owner": "city"}


# ---- 1. webhooks: server-side request forgery -------------------------------------------

def _registration_refused(base: str, settings, db, url: str) -> None:
    """`base`: the gateway's API, or a notification service of its own."""
    response = requests.post(f"{base}/webhooks", json=_subscription(url),
                             headers=staff_headers(settings, "sysadmin"), timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "webhook_address_not_allowed"
    assert db.webhook_subscriptions.count_documents({"url": url}) == 0


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
])
def test_attacker_registers_a_webhook_to_the_cloud_metadata_address_is_refused(
        api, settings, db, url):
    _registration_refused(api, settings, db, url)


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://192.168.1.1/admin", "http://172.16.0.1/", "http://100.64.0.1/",
    "http://[::1]:15672/api/users", "http://[fd00::1]/", "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]:27017/", "http://[::ffff:a00:1]/", "http://0.0.0.0:8080/",
    "http://224.0.0.1/", "http://[ff02::1]/",
])
def test_attacker_registers_a_webhook_to_a_private_or_loopback_address_is_refused(
        api, settings, db, url):
    _registration_refused(api, settings, db, url)


def test_attacker_registers_a_webhook_to_a_name_that_resolves_to_loopback_is_refused(
        api, settings, db):
    """The test stack lets its own receivers on 127.0.0.1 through, under that spelling only:
    `localhost` resolves to the very same address and is refused."""
    with Receiver() as receiver:
        _registration_refused(api, settings, db, f"http://localhost:{receiver.port}/hook")
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
        _registration_refused(notification, settings, db,
                              f"http://{spelling}:{receiver.port}/hook")
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


def test_attacker_sending_a_burst_of_simultaneous_guesses_gets_no_more_turns(api, settings):
    """Twenty guesses at once: only the first N are checked, plus at most one per wait that
    has passed while the burst was answered (2 s, then 4 s more, ...)."""
    username = _new_operator(api, settings)
    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda n: _login(api, username, f"tebakan-ke-{n}"), range(20)))
    elapsed = time.monotonic() - started
    codes = [_code(answer) for answer in answers]
    assert set(codes) == {"invalid_credentials", "login_throttled"}
    waits_passed = math.floor(math.log2(elapsed + 2)) - 1
    assert codes.count("invalid_credentials") <= \
        settings.login_failures_before_backoff + waits_passed, (codes, elapsed)


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


# ---- 5. control characters in text -------------------------------------------------------

TERMINAL_ESCAPE = "Jalan berlubang\x1b[2J\x1b[31m palsu"


def _submitted(api: str) -> dict:
    response = submit(api, fresh_padang_photo())
    assert response.status_code == 202, response.text
    return response.json()


@pytest.mark.parametrize("change", [
    {"description": TERMINAL_ESCAPE},
    {"description": "Sampah menumpuk\x00 di pasar raya"},
    {"description": "Sampah menumpuk di pasar\x85raya\x9b"},
    {"reporter": {"name": "Warga\x07\x08\x7f", "email": "warga@example.id"}},
    {"location": {"lat": -0.9726, "lon": 100.4057, "address": "Jl. Sudirman\x0b\x0c"}},
])
def test_attacker_submits_a_report_with_control_characters_in_its_text_is_refused(
        api, db, change):
    before = db.reports.count_documents({})
    response = submit(api, fresh_padang_photo(), {**REPORT, **change})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "control_character"
    assert db.reports.count_documents({}) == before


def test_attacker_comments_with_a_terminal_escape_is_refused(api, db):
    receipt = _submitted(api)
    response = requests.post(f"{api}/reports/{receipt['code']}/comments",
                             json={"text": TERMINAL_ESCAPE},
                             headers={"X-Reporter-Token": receipt["token"]}, timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "control_character"
    assert not db.reports.find_one({"_id": receipt["id"]}).get("comments")


def test_attacker_with_a_staff_account_writes_control_characters_into_notes_and_names_is_refused(
        api, settings):
    receipt = _submitted(api)
    operator = staff_headers(settings, "operator", "padang")
    admin = staff_headers(settings, "sysadmin", "padang")
    attempts = [
        (f"{api}/reports/{receipt['code']}/actions/archive", {"note": TERMINAL_ESCAPE},
         operator),
        (f"{api}/users", {"username": f"x-{uuid.uuid4().hex[:8]}", "password": PASSWORD,
                          "role": "operator", "city": "padang", "name": "Nama\x00Palsu"}, admin),
        (f"{api}/webhooks", {**_subscription("http://127.0.0.1:9/h"),
                             "description": "hook\x1b[8m"}, admin),
        (f"{api}/api-keys", {"name": "klien\x7f"}, admin),
    ]
    for url, body, headers in attempts:
        response = requests.post(url, json=body, headers=headers, timeout=10)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["code"] == "control_character", url


@pytest.fixture(scope="module")
def open311_key(api, stack):
    created = requests.post(f"{api}/api-keys", json={"name": "open311-attack-tests"},
                            headers=staff_headers(Settings.from_env(), "sysadmin", "padang"),
                            timeout=10)
    assert created.status_code == 201, created.text
    return created.json()["key"]


def _open311(stack) -> str:
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/open311/v2"


@pytest.mark.parametrize("field", ["description", "address_string", "first_name",
                                   "account_id"])
def test_attacker_files_an_open311_request_with_control_characters_is_refused(
        stack, db, open311_key, field):
    """Open311 answers every input error with 400, as GeoReport v2 has it."""
    form = {"api_key": open311_key, "jurisdiction_id": "padang", "service_code": "waste",
            "lat": "-0.9726", "long": "100.4057", "description": "Tumpukan sampah di tepi jalan",
            field: "Teks\x00dengan\x1b[31mkode"}
    files = {name: (None, value) for name, value in form.items()}
    files["media"] = ("photo.jpg", fresh_padang_photo(), "image/jpeg")
    before = db.reports.count_documents({})
    response = requests.post(f"{_open311(stack)}/requests.xml", files=files, timeout=30)
    assert response.status_code == 400, response.text
    [description] = minidom.parseString(response.content).getElementsByTagName("description")
    assert f"{field} holds a control character" in description.firstChild.data
    assert db.reports.count_documents({}) == before


def test_attacker_reading_open311_xml_of_text_an_older_version_stored_gets_well_formed_xml(
        api, stack, db):
    """The only test that writes the database itself: it puts characters XML 1.0 cannot hold
    into a stored report, as a version before this check could have stored them, to prove the
    XML answers still parse. The report itself is filed through the API."""
    receipt = _submitted(api)
    wait_for_status(api, receipt["code"], {"forwarded"})
    stored = "Lubang\x00besar\x1b[31m di\x0cjalan\ufffe\x01 & <b>tebal</b>"
    db.reports.update_one({"_id": receipt["id"]}, {"$set": {
        "description": stored, "location.address": "Jl.\x0bSudirman\x1f"}})
    base, query = _open311(stack), "jurisdiction_id=padang"
    answers = [
        f"{base}/requests/{receipt['code']}.xml?{query}",
        f"{base}/requests.xml?{query}&service_request_id={receipt['code']}",
        f"{base}/requests.xml?{query}", f"{base}/services.xml?{query}",
        f"{base}/discovery.xml", f"{base}/requests/PDG-0000-XXX.xml?{query}",
    ]
    descriptions = []
    for url in answers:
        response = requests.get(url, timeout=10)
        document = minidom.parseString(response.content)  # raises if not well-formed
        for request_element in document.getElementsByTagName("request"):
            [code] = request_element.getElementsByTagName("service_request_id")
            if code.firstChild.data == receipt["code"]:
                [text] = request_element.getElementsByTagName("description")
                descriptions.append(text.firstChild.data)
    assert len(descriptions) >= 2
    assert set(descriptions) == {"Lubang\ufffdbesar\ufffd[31m di\ufffdjalan\ufffd\ufffd & "
                                 "<b>tebal</b>"}
    as_json = requests.get(f"{base}/requests/{receipt['code']}.json?{query}", timeout=10)
    assert as_json.json()[0]["description"] == stored


# ---- 2. SMTP over TLS ---------------------------------------------------------------------

MAIL = Rendered(subject="Laporan diterima", text="Terima kasih.", html="<p>Terima kasih.</p>")


def _mail_settings(server, mode: str, host: str = "localhost", ca_file: str = "") -> Settings:
    return replace(Settings.from_env(), smtp_host=host, smtp_port=server.port,
                   smtp_starttls=mode == "starttls", smtp_ssl=mode == "smtps",
                   smtp_ca_file=ca_file, smtp_user="", smtp_password="")


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_attacker_posing_as_the_mail_server_with_an_untrusted_certificate_gets_no_mail(
        tmp_path, mode):
    """Whoever answers on the mail server's address with a certificate no CA we trust signed
    gets nothing; the same server becomes trusted once its CA is configured."""
    with tls_mail_server(tmp_path, mode) as server:
        with pytest.raises(DeliveryFailed, match="SSLCertVerificationError"):
            send_email(_mail_settings(server, mode), "warga@example.id", MAIL, uuid.uuid4().hex)
        assert server.messages == []
        ca_file = str(server.certificate)
        reply = send_email(_mail_settings(server, mode, ca_file=ca_file), "warga@example.id",
                           MAIL, uuid.uuid4().hex)
        assert reply.startswith("250") and len(server.messages) == 1


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_attacker_with_a_trusted_certificate_for_another_host_name_gets_no_mail(
        tmp_path, mode):
    """The certificate is signed by the configured CA but names `localhost`; the settings name
    the server 127.0.0.1, so its host name does not match."""
    with tls_mail_server(tmp_path, mode) as server:
        settings = _mail_settings(server, mode, host="127.0.0.1",
                                  ca_file=str(server.certificate))
        with pytest.raises(DeliveryFailed, match="SSLCertVerificationError"):
            send_email(settings, "warga@example.id", MAIL, uuid.uuid4().hex)
    assert server.messages == []
