"""A resident's one report with photos sent in chunks fits the gateway's per-address limits
(gateway/clients.py, gateway/rate_limit.py) at their defaults: a 4 MB photo in 256 KiB
chunks is 16 requests, and a report may have 5 photos."""

from __future__ import annotations

from aduan.infra.config import Settings
from gateway.clients import SUBMIT_ENDPOINTS
from gateway.forwarding import API
from gateway.rate_limit import share
from gateway.routes import CHUNK_PATH, ROUTES

PHOTO_BYTES = 4 * 1024 * 1024
PHOTOS = 5


def test_a_report_with_five_chunked_photos_fits_one_minute_of_one_address():
    settings = Settings()
    chunks = -(-PHOTO_BYTES // settings.upload_chunk_bytes)
    assert chunks == 16
    # Per photo: open, every chunk, one look at what is missing (a resume); then the report.
    requests = PHOTOS * (1 + chunks + 1) + 1
    per_process = share(settings.rate_limit_per_ip,
                        settings.gateway_replicas * settings.web_workers)
    assert requests <= per_process, (requests, per_process)
    # Even with every chunk sent twice (a weak signal), it fits the address's whole budget.
    assert PHOTOS * (1 + 2 * chunks + 1) + 1 <= settings.rate_limit_per_ip


def test_opening_an_upload_and_sending_chunks_are_not_filing_reports():
    # The submit budget (submit_limit_per_ip) counts filings; uploads are capped by the open
    # uploads an address may have (uploads_open_per_ip) instead.
    upload_routes = [r for r in ROUTES if r.path.startswith("/uploads")]
    assert {(r.method, r.path) for r in upload_routes} == {
        ("POST", "/uploads"), ("GET", "/uploads/<upload_id>"), ("PUT", CHUNK_PATH)}
    assert not any(f"{API}{r.path}".endswith(SUBMIT_ENDPOINTS) for r in upload_routes)
    settings = Settings()
    assert settings.uploads_open_per_ip >= PHOTOS
