"""Open311 at the gateway reads intake's public list, over fakes: the gateway app and the
intake app share one in-memory database, and the gateway's HTTP calls to intake are answered
by the intake app itself (a requests adapter onto its WSGI test client), in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from fakes import FakePublisher, FakeStore, fake_db

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.web.app import provide
from gateway.app import create_app as create_gateway
from gateway.context import Gateway
from gateway.open311 import views
from services.intake.app import create_app as create_intake

SETTINGS = Settings(public_base_url="https://aduan.example", intake_url="http://intake.test")
NOW = datetime.now(UTC)
WHERE = {"jurisdiction_id": "padang"}


class WsgiAdapter(requests.adapters.BaseAdapter):
    """Sends a requests call to a Flask test client instead of the network."""

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        url = requests.utils.urlparse(request.url)
        answer = self.client.open(url.path, method=request.method, query_string=url.query,
                                  headers=dict(request.headers), data=request.body)
        response = requests.Response()
        response.status_code, response.url = answer.status_code, request.url
        response.headers.update(answer.headers)
        response._content = answer.get_data()
        response.request = request
        return response

    def close(self) -> None:
        pass


def _report(n: int, status: str = "forwarded", privacy: str = "anonymous",
            days: int = 1, city: str = "padang") -> dict:
    created = NOW - timedelta(days=days, minutes=n)
    return {"_id": f"{n:032x}", "code": f"PDG-2026-{n:06d}", "city": city, "category": "waste",
            "description": f"Laporan {n}", "status": status, "privacy": privacy,
            "channel": "app", "location": {"lat": -0.95, "lon": 100.4, "address": "Jl. A"},
            "created_at": created, "updated_at": created,
            "agencies": [{"code": "DLH", "status": "forwarded", "due_at": NOW}],
            "reporter": {"name": "Rahasia", "email": "rahasia@example.id"},
            "photos": [], "history": [], "comments": []}


@pytest.fixture
def o311(monkeypatch):
    db = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.categories.insert_one({"city": "padang", "code": "waste", "name_id": "Sampah",
                              "name_en": "Waste", "agencies": ["DLH"]})
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.agencies.insert_one({"city": "padang", "code": "DLH", "name_id": "Dinas Lingkungan Hidup",
                            "name_en": "Environment Agency"})
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_many(
        [_report(n) for n in range(1, 131)]  # 130 public reports
        + [_report(201, privacy="confidential"), _report(202, status="needs_review"),
           _report(203, days=100), _report(204, city="depok")])
    intake = create_intake(SETTINGS, Backends(SETTINGS, db=db, store=FakeStore(),
                                                      publisher=FakePublisher())).test_client()
    session = requests.Session()
    session.mount("http://intake.test", WsgiAdapter(intake))
    monkeypatch.setattr(views, "_session", lambda: session)
    gateway = create_gateway(SETTINGS)
    provide(gateway, Gateway(SETTINGS, db, {}))
    return gateway.test_client()


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [row["service_request_id"] for row in response.get_json()]


def test_the_list_is_intake_s_public_list_in_open311_pages(o311):
    first = _ids(o311.get("/open311/v2/requests.json", query_string={**WHERE, "page_size": 200}))
    assert len(first) == 130  # two of intake's pages, nothing hidden, nothing older than 90 days
    assert first == sorted(first)  # newest first: the smallest n is the newest
    second = _ids(o311.get("/open311/v2/requests.json",
                           query_string={**WHERE, "page_size": 70, "page": 2}))
    assert second == first[70:130]
    assert _ids(o311.get("/open311/v2/requests.json",
                         query_string={**WHERE, "page": 3, "page_size": 70})) == []


def test_hidden_reports_are_nowhere_and_no_reporter_is_shown(o311):
    hidden = ["PDG-2026-000201", "PDG-2026-000202", "PDG-2026-000204"]
    by_ids = o311.get("/open311/v2/requests.json",
                      query_string={**WHERE, "service_request_id": ",".join(
                          [*hidden, "PDG-2026-000001", "PDG-2026-000203"])})
    assert _ids(by_ids) == ["PDG-2026-000001", "PDG-2026-000203"]  # ids ignore the 90 days
    for code in hidden:
        assert o311.get(f"/open311/v2/requests/{code}.json", query_string=WHERE
                        ).status_code == 404
    for n in (201, 202, 204):
        assert o311.get(f"/open311/v2/tokens/{n:032x}.json", query_string=WHERE
                        ).status_code == 404
    assert "Rahasia" not in by_ids.get_data(as_text=True)


def test_one_request_and_its_token(o311):
    [row] = o311.get("/open311/v2/requests/PDG-2026-000001.json",
                     query_string={**WHERE, "locale": "en"}).get_json()
    assert row["agency_responsible"] == "Environment Agency" and row["service_name"] == "Waste"
    assert row["expected_datetime"].endswith("+07:00") and row["media_url"] is None
    token = o311.get(f"/open311/v2/tokens/{1:032x}.json", query_string=WHERE).get_json()
    assert token == [{"service_request_id": "PDG-2026-000001", "token": f"{1:032x}"}]
    assert o311.get("/open311/v2/tokens/not-a-token.json", query_string=WHERE
                    ).status_code == 404
