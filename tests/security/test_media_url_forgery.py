"""An Open311 client names a `media_url` for the gateway to fetch: the attacker's way to make
the platform request its own network (server-side request forgery), as with webhooks.

A gateway with production settings (no private exception) runs beside the stack; the
"internal" servers are this suite's image servers on loopback, which must never be asked
anything. That nothing was asked is read once the report the request filed is judged: the
gateway fetches before it submits, so by then any request would have arrived."""

from __future__ import annotations

import pytest
import requests
from extra_process import extra_http_service
from http_receiver import free_port
from image_server import ImageServer, Page
from notification_helpers import staff_headers
from photo_factory import fresh_padang_photo
from waiting import eventually

from aduan.infra.config import Settings

pytestmark = pytest.mark.stack

PRODUCTION_MEDIA = {"MEDIA_URL_PRIVATE_HOSTS": ""}


@pytest.fixture(scope="module")
def production_gateway(stack):
    with extra_http_service(stack, "gateway", free_port(), PRODUCTION_MEDIA) as url:
        yield url


@pytest.fixture(scope="module")
def client_key(api):
    created = requests.post(f"{api}/api-keys", json={"name": "media-url-attack-tests"},
                            headers=staff_headers(Settings.from_env(), "sysadmin", "padang"),
                            timeout=10)
    assert created.status_code == 201, created.text
    return created.json()["key"]


def _file_with_media_url(gateway: str, key: str, media_url: str) -> str:
    form = {"api_key": key, "jurisdiction_id": "padang", "service_code": "waste",
            "lat": "-0.9726", "long": "100.4057", "media_url": media_url,
            "description": "Tumpukan sampah di tepi jalan sejak kemarin"}
    response = requests.post(f"{gateway}/open311/v2/requests.json", data=form, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


def _judged(db, code: str) -> dict:
    return eventually(lambda: db.reports.find_one(
        {"code": code, "status": {"$nin": ["submitted", "verifying"]}}), what=f"{code} judged")


@pytest.mark.parametrize("spelling", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]",
                                      "2130706433", "0x7f.1"])
def test_attacker_names_a_media_url_on_the_platforms_own_network_and_it_is_never_fetched(
        production_gateway, client_key, db, spelling):
    with ImageServer() as internal:
        internal.pages["/secret.jpg"] = Page(fresh_padang_photo())
        code = _file_with_media_url(production_gateway, client_key,
                                    f"http://{spelling}:{internal.port}/secret.jpg")
        stored = _judged(db, code)
        assert internal.received == []
    assert stored["photos"] == [] and stored["status"] == "needs_review"
    assert stored["media_fetch_failed"] == "address_not_allowed"


def test_attacker_redirects_a_public_looking_media_url_to_the_metadata_address_is_not_followed(
        stack, client_key, db):
    """Through the stack's own gateway, which lets its test image server (127.0.0.1) through
    as test stacks do: the redirect's target is checked as the URL was."""
    gateway = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"
    with ImageServer() as outside:
        outside.pages["/a.jpg"] = Page(status=302, content_type=None, headers={
            "Location": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"})
        code = _file_with_media_url(gateway, client_key, outside.url("/a.jpg"))
        stored = _judged(db, code)
        assert outside.paths_asked() == ["/a.jpg"]
    assert stored["media_fetch_failed"] == "address_not_allowed" and stored["photos"] == []
