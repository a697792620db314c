"""Where people follow a report: the console's tracking page, never the JSON API.

- `tracking_page`: `{public_base_url}/#/track/<CODE>`, for anyone (receipts' `tracking_url`,
  followers' messages, the public).
- `reporter_link`: the same page with the reporter's token in the URL fragment,
  `{public_base_url}/#/track/<CODE>/<TOKEN>`. A browser never sends the fragment to the server
  (so it is in no request line, access log or Referer); the page stores the token as a report
  filed from that browser would (`rememberReport`) and removes it from the address bar. Given
  to the client that filed the report (`tracking_link` in the receipt) and in every message to
  the reporter.
- `staff_page`: `{public_base_url}/#/staff/report/<CODE>`, the report's page for staff.

The token is the one intake hands out (`aduan.infra.tokens.reporter_token`, an HMAC of the
report id under the current key), so the notifier computes it without storing it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import reporter_token


def tracking_page(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url}/#/track/{quote(code, safe='')}"


def reporter_link(settings: Settings, report: dict[str, Any]) -> str:
    token = reporter_token(reporter_token_keys(settings), report["_id"])
    return f"{tracking_page(settings, report['code'])}/{quote(token, safe='')}"


def staff_page(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url}/#/staff/report/{quote(code, safe='')}"
