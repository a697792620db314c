"""Every answer of the app factory carries the security headers; HSTS only in production."""

from __future__ import annotations

from dataclasses import replace

from aduan.infra.config import Settings
from aduan.web.app import create_app
from aduan.web.security_headers import API_POLICY, HSTS


def _headers(env: str) -> dict[str, str]:
    app = create_app("headers-test", replace(Settings(), env=env))
    return dict(app.test_client().get("/no-such-page").headers)


def test_production_answers_pin_browsers_to_https() -> None:
    headers = _headers("production")
    assert headers["Strict-Transport-Security"] == HSTS
    assert headers["Content-Security-Policy"] == API_POLICY
    assert headers["X-Frame-Options"] == "DENY"


def test_other_environments_do_not() -> None:
    headers = _headers("development")
    assert "Strict-Transport-Security" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
