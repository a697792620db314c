"""The per-address flood limits counted in each gateway process (gateway/rate_limit.py): a
share of the fleet's budget, exact under threads, forgotten with the window; and through the
gateway app, which counts them without a database command."""

from __future__ import annotations

import threading

import pytest
from fakes import fake_db
from test_gateway_app import FakeUpstream

from aduan.infra.config import Settings
from aduan.web.app import provide
from aduan.web.errors import ApiError
from gateway import rate_limit
from gateway.app import API, create_app
from gateway.context import Gateway

WINDOW_START = 1_800_000_000.0  # a multiple of the 60 s window


@pytest.mark.parametrize(("limit", "processes", "expected"), [
    (300, 1, 300), (300, 4, 75), (30, 4, 7), (5, 1, 5), (3, 8, 1), (10, 0, 10)])
def test_a_process_allows_its_share_rounded_down_never_less_than_one(limit, processes, expected):
    assert rate_limit.share(limit, processes) == expected


def test_past_its_share_a_process_refuses_with_the_time_left_in_the_window():
    counters = rate_limit.LocalCounters()
    for _ in range(7):
        rate_limit.hit_local(counters, "submit:198.51.100.7", 30, 4, now=WINDOW_START + 1)
    with pytest.raises(ApiError) as refused:
        rate_limit.hit_local(counters, "submit:198.51.100.7", 30, 4, now=WINDOW_START + 15)
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert refused.value.details == {"limit": 7, "window_s": 60, "retry_after": 46}
    # Another address has its own count; the next window starts from nothing.
    rate_limit.hit_local(counters, "submit:198.51.100.8", 30, 4, now=WINDOW_START + 15)
    rate_limit.hit_local(counters, "submit:198.51.100.7", 30, 4, now=WINDOW_START + 60)


def test_threads_of_one_process_never_get_more_than_the_share_between_them():
    counters = rate_limit.LocalCounters()
    allowed: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(50):
            try:
                rate_limit.hit_local(counters, "ip:203.0.113.9", 100, 1, now=WINDOW_START + 5)
            except ApiError:
                continue
            with lock:
                allowed.append(1)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 100


def test_a_window_forgets_the_addresses_of_the_last():
    counters = rate_limit.LocalCounters()
    for number in range(1000):
        rate_limit.hit_local(counters, f"ip:10.0.{number // 256}.{number % 256}", 5, 1,
                             now=WINDOW_START)
    rate_limit.hit_local(counters, "ip:10.9.9.9", 5, 1, now=WINDOW_START + 60)
    assert counters.count("ip:10.9.9.9", int((WINDOW_START + 60) // 60)) == 2
    assert len(counters) == 1  # the memory holds this window's addresses only


def _gateway(**settings: object):
    db = fake_db()
    app = create_app(Settings(**settings))  # type: ignore[arg-type]
    upstreams = {name: FakeUpstream(name)
                 for name in ("intake", "verification", "routing", "notification")}
    provide(app, Gateway(Settings(**settings), db, upstreams))  # type: ignore[arg-type]
    return app.test_client(), db, upstreams


def test_submissions_per_address_are_limited_without_a_database_command(monkeypatch):
    """Two replicas of two processes share a budget of 8: this process allows 2."""
    monkeypatch.setattr(rate_limit, "time", type("Clock", (), {
        "time": staticmethod(lambda: WINDOW_START + 30)}))
    client, db, upstreams = _gateway(submit_limit_per_ip=8, gateway_replicas=2, web_workers=2)
    answers = [client.post(f"{API}/reports", data={}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].get_json()["error"]["code"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) == 31
    assert upstreams["intake"].forwarded == [("POST", "/reports")] * 2
    assert db.rate_limits.count_documents({}) == 0


def test_each_app_counts_for_itself():
    """Two apps in one process (as tests make them) do not share their counts."""
    first, _, _ = _gateway(rate_limit_per_ip=2, web_workers=1)
    second, _, _ = _gateway(rate_limit_per_ip=2, web_workers=1)
    assert [first.get(f"{API}/categories").status_code for _ in range(3)][-1] == 429
    assert second.get(f"{API}/categories").status_code != 429


def test_push_subscriptions_per_address_have_their_own_budget(monkeypatch):
    """Subscribing devices to reports' Web Push is counted apart from filing: past this
    process's share (8 over two replicas of two processes: 2) it is refused, while filing
    and the push service's unsubscribing still go through."""
    monkeypatch.setattr(rate_limit, "time", type("Clock", (), {
        "time": staticmethod(lambda: WINDOW_START + 30)}))
    client, db, upstreams = _gateway(push_subscribes_per_ip=8, gateway_replicas=2,
                                     web_workers=2)
    answers = [client.post(f"{API}/reports/PDG-2026-AAA-BBB-CC{n}/push", json={})
               for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].get_json()["error"]["code"] == "rate_limited"
    assert client.post(f"{API}/reports", data={}).status_code == 200
    assert client.delete(f"{API}/push/subscriptions", json={}).status_code == 200
    assert len(upstreams["notification"].forwarded) == 3
    assert db.rate_limits.count_documents({}) == 0
