"""The gateway app over fakes: its own staff routes on an in-memory database, and the
forwarding of every other /api/v1 route to the service that owns it."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from fakes import fake_db
from flask import Response, request

from aduan.infra.config import Settings
from aduan.web.app import provide
from gateway import rate_limit
from gateway.app import API, create_app
from gateway.context import Gateway
from gateway.users import NewUser, create_user

PASSWORD = "a-long-password"


@dataclass
class FakeUpstream:
    """Answers every forwarded request with the path it was given."""

    name: str
    forwarded: list[tuple[str, str]] = field(default_factory=list)

    def forward(self, path: str) -> Response:
        self.forwarded.append((request.method, path))
        return Response(f"{self.name} {path}", status=200)

    def check(self) -> None:
        pass


@pytest.fixture
def gateway():
    settings = Settings()
    db = fake_db()
    upstreams = {name: FakeUpstream(name)
                 for name in ("intake", "verification", "routing", "notification")}
    app = create_app(settings)
    provide(app, Gateway(settings, db, upstreams))  # type: ignore[arg-type]
    create_user(db, NewUser("siti.op", PASSWORD, "operator", "padang"))
    return app.test_client(), db, upstreams


def _login(client, password: str = PASSWORD):
    return client.post(f"{API}/auth/login", json={"username": "siti.op", "password": password})


def test_staff_sign_in_refresh_and_sign_out(gateway):
    client, _, _ = gateway
    tokens = _login(client).get_json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["user"]["username"] == "siti.op"
    refreshed = client.post(f"{API}/auth/refresh",
                            json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new_token = refreshed.get_json()["refresh_token"]
    assert client.post(f"{API}/auth/logout", json={"refresh_token": new_token}).status_code == 204
    again = client.post(f"{API}/auth/refresh", json={"refresh_token": new_token})
    assert again.get_json()["error"]["code"] == "invalid_refresh_token"


def test_a_wrong_password_is_refused_and_counted(gateway):
    client, db, _ = gateway
    answer = _login(client, "not-the-password")
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "invalid_credentials"
    assert db.rate_limits.count_documents({}) > 0  # the caller's address was counted


def test_service_routes_are_forwarded_with_quoted_parameters(gateway):
    client, _, upstreams = gateway
    answer = client.get(f"{API}/reports/PDG-2024 x/workflow")
    assert answer.get_data(as_text=True) == "routing /reports/PDG-2024%20x/workflow"
    client.post(f"{API}/reports/ABC/verdict", json={})
    assert upstreams["verification"].forwarded == [("POST", "/reports/ABC/verdict")]
    client.get(f"{API}/ops/queues/notification/parked")
    assert upstreams["notification"].forwarded == [("GET", "/ops/parked")]


def test_the_openapi_document_is_served(gateway):
    client, _, _ = gateway
    document = client.get(f"{API}/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert "/reports/{code}/verdict" in document["paths"]


def test_the_one_time_code_doors_share_a_small_budget_per_address(gateway, monkeypatch):
    # services/intake/recovery.py: asking for and answering the reporter's code, together.
    # The limit is per fixed minute: the clock stands in the middle of one, so the requests
    # never straddle two windows.
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    client, _, upstreams = gateway
    limit = Settings().recovery_limit_per_ip
    answers = [client.post(f"{API}/tracking/{door}", json={})
               for door in ["recover", "verify"] * limit]
    assert [a.status_code for a in answers[:limit]] == [200] * limit
    refused = answers[limit]
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (429, "rate_limited")
    assert ("POST", "/tracking/recover") in upstreams["intake"].forwarded
    assert len(upstreams["intake"].forwarded) == limit


@dataclass
class ReadingUpstream(FakeUpstream):
    """Reads the body as the real forwarding does (gateway/proxy.py), then records it."""

    def forward(self, path: str) -> Response:
        body = request.get_data()
        self.forwarded.append((request.method, f"{path} {len(body)}"))
        return Response(status=204)


def test_a_delete_body_longer_than_a_push_endpoint_is_refused_before_it_is_read():
    settings = Settings()
    upstream = ReadingUpstream("notification")
    app = create_app(settings)
    upstreams = {name: upstream for name in ("intake", "verification", "routing",
                                             "notification")}
    provide(app, Gateway(settings, fake_db(), upstreams))  # type: ignore[arg-type]
    client = app.test_client()
    endpoint = "https://fcm.googleapis.com/fcm/send/" + "d" * 2000
    small = client.delete(f"{API}/push/subscriptions", json={"endpoint": endpoint})
    assert small.status_code == 204
    huge = client.delete(f"{API}/push/subscriptions", json={"endpoint": "x" * 64 * 1024})
    assert huge.status_code == 413
    assert huge.get_json()["error"]["code"] == "payload_too_large"
    [(method, forwarded)] = upstream.forwarded  # the small one only
    assert method == "DELETE" and forwarded.startswith("/push/subscriptions ")
    assert int(forwarded.split()[1]) > 2000
