"""Forwarding a client's request to the service that owns it."""

from __future__ import annotations

import logging
import threading

import requests
from flask import Response, g, request

from aduan.web.app import REQUEST_ID_HEADER, current_request_id
from aduan.web.errors import ApiError

log = logging.getLogger(__name__)

CLIENT_ADDRESS_HEADER = "X-Client-Address"

FORWARDED_REQUEST_HEADERS = ("Content-Type", "Idempotency-Key", "X-Reporter-Token", "Authorization",
                             "Accept-Language", "If-None-Match",
                             # a follower's "confirm" and "stop following" links
                             "X-Follow-Token", "X-Unfollow-Token",
                             # Meta's signature of a WhatsApp webhook's raw body
                             "X-Hub-Signature-256")
FORWARDED_RESPONSE_HEADERS = ("Content-Type", "Retry-After", "Location", "Content-Disposition",
                              "ETag", "Cache-Control", "Vary")


class Upstream:
    def __init__(self, base_url: str, timeout_s: float, extra_headers: tuple[str, ...] = ()
                 ) -> None:
        """`extra_headers`: more request headers this upstream gets (e.g. the shared secret
        of the SMS provider, whose name is a setting)."""
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.forwarded = FORWARDED_REQUEST_HEADERS + tuple(h for h in extra_headers if h)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def forward(self, path: str) -> Response:
        headers = {h: request.headers[h] for h in self.forwarded if h in request.headers}
        headers[REQUEST_ID_HEADER] = current_request_id() or ""
        # Where the caller is, as the gateway judged it (gateway/client_address.py); a
        # client's own header of that name is never passed on.
        headers[CLIENT_ADDRESS_HEADER] = getattr(g, "client_address", None) or ""
        try:
            upstream = self._session().request(
                request.method,
                f"{self.base_url}{path}",
                params=request.args,
                # DELETE too: unsubscribing a push endpoint names it in the body.
                data=request.get_data(cache=False)
                if request.method in ("POST", "PUT", "PATCH", "DELETE") else None,
                headers=headers,
                timeout=self.timeout_s,
            )
        except requests.RequestException as err:
            log.warning("%s %s%s failed: %s", request.method, self.base_url, path,
                        type(err).__name__)
            raise ApiError(503, "service_unavailable",
                           "A backing service is unavailable; retry later.") from err
        response = Response(upstream.content, status=upstream.status_code)
        for name in FORWARDED_RESPONSE_HEADERS:
            if name in upstream.headers:
                response.headers[name] = upstream.headers[name]
        return response

    def check(self) -> None:
        self._session().get(f"{self.base_url}/readyz", timeout=2).raise_for_status()
