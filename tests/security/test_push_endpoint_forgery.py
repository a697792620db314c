"""Anyone may subscribe a device to a public report's Web Push, naming the device's "push
endpoint": the attacker's way to make the notification worker POST into the platform's own
network (server-side request forgery), as with webhooks and Open311 `media_url`s.

A notification service with production settings (no private exception, no host list) runs
beside the stack; the "internal" server is this suite's receiver on loopback, which must never
be asked anything, however the address is spelled, and no subscription may be stored."""

from __future__ import annotations

import pytest
import requests
from extra_process import extra_http_service
from http_receiver import Receiver, free_port
from push_double import PushDouble
from workflow_client import bring_to

pytestmark = pytest.mark.stack

PRODUCTION_PUSH = {"PUSH_PRIVATE_HOSTS": "", "PUSH_ALLOWED_HOSTS": ""}
SPELLINGS = ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433", "0x7f.1",
             "169.254.169.254", "10.0.0.1", "[::1]"]


@pytest.fixture(scope="module")
def production_notification(stack):
    with extra_http_service(stack, "notification", free_port(), PRODUCTION_PUSH) as url:
        yield url


def test_attacker_subscribes_a_push_endpoint_on_the_platforms_own_network_is_refused(
        api, settings, db, production_notification):
    report = bring_to(api, settings, "forwarded")
    keys = PushDouble().subscription()["keys"]  # well-formed keys: only the address is wrong
    with Receiver() as internal:
        for spelling in SPELLINGS:
            for scheme in ("https", "http"):
                endpoint = f"{scheme}://{spelling}:{internal.port}/push/abc"
                answer = requests.post(
                    f"{production_notification}/reports/{report['code']}/push", timeout=10,
                    json={"subscription": {"endpoint": endpoint, "keys": keys}})
                assert answer.status_code == 422, (endpoint, answer.text)
                assert answer.json()["error"]["code"] in (
                    "push_address_not_allowed", "push_endpoint_not_https",
                    "push_host_unresolvable"), answer.text
        assert internal.received == []
    assert db.push_subscriptions.count_documents({"report_id": report["_id"]}) == 0
