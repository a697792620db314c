"""Who is calling the public API (a client app's API key, else the caller's address) and the
rate limits that follow from it."""

from __future__ import annotations

from flask import current_app, g, request
from pymongo.database import Database

from aduan.infra.config import Settings
from aduan.web.errors import ApiError
from gateway import api_keys, rate_limit
from gateway.client_address import client_address
from gateway.routes import CHUNK_PATH

API_KEY_HEADER = "X-Api-Key"
# Endpoints that file a report (the gateway's own and Open311's) or follow one, rate-limited
# per address.
# The reporter's one-time code (services/intake/recovery.py), per address whatever the key.
RECOVERY_ENDPOINTS = ("/tracking/recover", "/tracking/verify")
SUBMIT_ENDPOINTS = ("/reports", "/requests.<fmt>", "/reports/<code>/followers")
# A device subscribing to a report's Web Push: its own budget per address (a phone turning
# notifications on subscribes once per report it knows, up to the 50 recovered and its own).
PUSH_SUBSCRIBE_ENDPOINT = "/reports/<code>/push"


def _presented_key() -> str | None:
    """The X-Api-Key header; Open311 clients send `api_key` as a parameter instead."""
    if request.headers.get(API_KEY_HEADER):
        return request.headers[API_KEY_HEADER]
    if "/open311/" in request.path:
        params = request.form if request.method == "POST" else request.args
        return params.get("api_key") or None
    return None


def identify_and_limit(db: Database, settings: Settings) -> None:
    presented = _presented_key()
    client = api_keys.verify(db, presented) if presented else None
    g.client_app = client
    address = g.client_address = client_address(
        request.remote_addr, request.headers.getlist("X-Forwarded-For"),
        settings.trusted_proxies)
    # The per-address flood limits are counted in this process, as its share of the fleet's
    # (gateway/rate_limit.py); API keys, sign-in and one-time codes in the shared counters.
    processes = settings.gateway_replicas * settings.web_workers
    counters = current_app.extensions.setdefault("aduan_rate_counters",
                                                 rate_limit.LocalCounters())
    endpoint = request.url_rule.rule if request.url_rule else ""
    if client is not None:
        rate_limit.hit(db, f"key:{client.key_id}",
                       client.rate_limit or settings.rate_limit_per_api_key)
    elif request.method == "PUT" and endpoint.endswith(CHUNK_PATH):
        # A photo's chunks have their own budget: five 4 MB photos are 80 of them, more than
        # one process's share of the general one on a fleet of four (and one phone's kept-
        # alive connection may put them all on one process).
        rate_limit.hit_local(counters, f"chunk:{address}", settings.upload_chunks_per_ip,
                             processes)
    else:
        rate_limit.hit_local(counters, f"ip:{address}", settings.rate_limit_per_ip, processes)
    if request.method == "POST" and endpoint.endswith(SUBMIT_ENDPOINTS):
        if settings.require_api_key and client is None:
            raise ApiError(401, "api_key_required", "Submitting needs a client app's API key.")
        rate_limit.hit_local(counters, f"submit:{address}", settings.submit_limit_per_ip,
                             processes)
    if request.method == "POST" and endpoint.endswith(PUSH_SUBSCRIBE_ENDPOINT):
        rate_limit.hit_local(counters, f"push:{address}", settings.push_subscribes_per_ip,
                             processes)
    if endpoint.endswith("/auth/login"):
        rate_limit.hit(db, f"login:{address}", settings.login_limit_per_ip)
    if endpoint.endswith(RECOVERY_ENDPOINTS):  # one budget for asking and answering
        rate_limit.hit(db, f"recovery:{address}", settings.recovery_limit_per_ip)
