"""A resident's one report with photos sent in chunks fits the gateway's per-address limits
(gateway/clients.py, gateway/rate_limit.py) as shipped: the settings of deploy/k8s/config.yaml
(2 gateway replicas x 2 web workers: each process allows a quarter of a budget) and of
docker-compose.yml, not only the defaults. A 4 MB photo in 256 KiB chunks is 16 requests, and
a report may have 5 photos; one phone's kept-alive connection may put every request of it on
one gateway process. The requests go through the gateway's own limiter (`identify_and_limit`),
the way a phone sends them."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from aduan.infra.config import Settings, _parse
from aduan.web.errors import ApiError
from gateway.clients import SUBMIT_ENDPOINTS, identify_and_limit
from gateway.forwarding import API
from gateway.routes import CHUNK_PATH, ROUTES

ROOT = Path(__file__).resolve().parents[2]
PHOTO_BYTES = 4 * 1024 * 1024
PHOTOS = 5


def _k8s_env() -> dict[str, str]:
    for doc in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "config.yaml").read_text()):
        if doc and doc.get("kind") == "ConfigMap" and doc["metadata"]["name"] == "aduan-config":
            return {name: str(value) for name, value in doc["data"].items()}
    raise AssertionError("no aduan-config ConfigMap")


def _compose_env() -> dict[str, str]:
    """docker-compose.yml's values when the operator's .env sets nothing (`${X:-default}`)."""
    text = (ROOT / "docker-compose.yml").read_text()
    found = re.findall(r'^\s+(ADUAN_\w+): "\$\{\1:-([^}]*)\}"', text, re.M)
    return dict(found)


def _settings(env: dict[str, str]) -> Settings:
    values: dict[str, Any] = {}
    for field in fields(Settings):
        raw = env.get(f"ADUAN_{field.name.upper()}")
        if raw is not None:
            values[field.name] = _parse(raw, field.default)
    return Settings(**values)


SHIPPED = {"k8s": _k8s_env, "compose": _compose_env, "defaults": dict}


class NoDb:
    """The per-address limits cost no database command (gateway/rate_limit.py hit_local)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the limiter read {name}")


def _phone_report(settings: Settings, resends: int = 1) -> list[tuple[str, str, str]]:
    """Every request of one report with five 4 MB photos: per photo, open an upload, send each
    chunk (`resends` times, a weak signal), look at what is missing (a resume); then file."""
    chunks = -(-PHOTO_BYTES // settings.upload_chunk_bytes)
    requests: list[tuple[str, str, str]] = []
    for photo in range(PHOTOS):
        upload = f"u{photo}"
        requests.append(("POST", "/uploads", "/uploads"))
        for index in range(chunks):
            requests += [("PUT", CHUNK_PATH, f"/uploads/{upload}/chunks/{index}")] * resends
        requests.append(("GET", "/uploads/<upload_id>", f"/uploads/{upload}"))
    requests.append(("POST", "/reports", "/reports"))
    return requests


def _send_all(settings: Settings, requests: list[tuple[str, str, str]]) -> list[ApiError]:
    """The requests through one gateway process's limiter (one kept-alive connection)."""
    app = Flask("gateway-limits")
    for number, (method, rule, _) in enumerate({(m, r, "") for m, r, _ in requests}):
        app.add_url_rule(f"{API}{rule}", f"r{number}", lambda **_: "", methods=[method])
    refused = []
    for method, _, path in requests:
        with app.test_request_context(f"{API}{path}", method=method,
                                      environ_base={"REMOTE_ADDR": "198.51.100.7"}):
            try:
                identify_and_limit(NoDb(), settings)  # type: ignore[arg-type]
            except ApiError as err:
                refused.append(err)
    return refused


@pytest.mark.parametrize("shipped", sorted(SHIPPED))
def test_a_report_with_five_chunked_photos_fits_one_process_as_shipped(shipped: str):
    settings = _settings(SHIPPED[shipped]())
    assert -(-PHOTO_BYTES // settings.upload_chunk_bytes) == 16
    assert _send_all(settings, _phone_report(settings)) == []


@pytest.mark.parametrize("shipped", sorted(SHIPPED))
def test_even_every_chunk_sent_twice_fits_as_shipped(shipped: str):
    settings = _settings(SHIPPED[shipped]())
    assert _send_all(settings, _phone_report(settings, resends=2)) == []


def test_the_k8s_config_splits_the_budgets_in_four():
    settings = _settings(_k8s_env())
    assert settings.gateway_replicas * settings.web_workers == 4
    # Before chunks had their own budget: 91 requests against a share of 300 / 4 = 75.
    assert len(_phone_report(settings)) > settings.rate_limit_per_ip // 4


def test_chunks_past_their_own_budget_are_refused():
    settings = Settings(upload_chunks_per_ip=40, gateway_replicas=1, web_workers=2)
    chunk = ("PUT", CHUNK_PATH, "/uploads/u/chunks/0")
    refused = _send_all(settings, [chunk] * 21)
    assert [(e.status, e.code) for e in refused] == [(429, "rate_limited")]


def test_opening_an_upload_and_sending_chunks_are_not_filing_reports():
    # The submit budget (submit_limit_per_ip) counts filings; uploads are capped by the open
    # uploads an address may have (uploads_open_per_ip) instead.
    upload_routes = [r for r in ROUTES if r.path.startswith("/uploads")]
    assert {(r.method, r.path) for r in upload_routes} == {
        ("POST", "/uploads"), ("GET", "/uploads/<upload_id>"), ("PUT", CHUNK_PATH)}
    assert not any(f"{API}{r.path}".endswith(SUBMIT_ENDPOINTS) for r in upload_routes)
    settings = Settings()
    assert settings.uploads_open_per_ip >= PHOTOS
