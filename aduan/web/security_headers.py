"""The headers every answer of every service carries, and the console page's own policy.

Browsers act on them; API clients ignore them, so they cost nothing there:
- no page or answer of ours may be framed by another site (clickjacking): CSP
  `frame-ancestors 'none'` and, for older browsers, `X-Frame-Options: DENY`;
- `nosniff`: a browser never runs an answer (a photo, a JSON error echoing input) as a script
  or page because its bytes look like one;
- `no-referrer`: tracking codes and tokens in our URLs never travel to another site;
- HSTS only in production, where the gateway is reached over HTTPS (a developer's plain-HTTP
  stack on 127.0.0.1 must not teach the browser to refuse it).
"""

from __future__ import annotations

from flask import Response

# JSON answers and everything else that is not the console page: nothing may load or run.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The console: its own scripts and styles (Leaflet and Chart.js set inline styles), photos
# fetched from its own origin and shown as blobs (issue 15: no other origin serves a photo),
# API calls to its own origin only.
CONSOLE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")


def console_policy(tile_source: str | None) -> str:
    """The console's policy; with a map tile server (`tile_source`, e.g.
    `https://*.tile.example.org`, from `web.map_config`), its images may come from there too."""
    if not tile_source:
        return CONSOLE_POLICY
    return CONSOLE_POLICY.replace("img-src 'self' data: blob:;",
                                  f"img-src 'self' data: blob: {tile_source};")
# The resident app's service worker (/sw.js): a worker's requests are governed by its own
# script's policy, and API_POLICY's `default-src 'none'` would refuse its own origin.
WORKER_POLICY = "default-src 'self'; base-uri 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response, production: bool) -> Response:
    """A policy set by the view (the console page's) is kept; the rest are always the same."""
    response.headers.setdefault("Content-Security-Policy", API_POLICY)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if production:
        response.headers["Strict-Transport-Security"] = HSTS
    return response
