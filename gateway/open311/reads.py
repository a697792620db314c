"""Open311 reads through intake's public list over HTTP: the API's own read path, so Open311
shows what the public list shows and nothing else (the gateway reads no report itself)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from aduan.web.errors import ApiError
from gateway.open311.submit import intake_error

# The largest page, and the last page number, intake's public list serves.
INTAKE_PAGE = 100
LAST_PAGE = 10_000


def _pages(offset: int, limit: int) -> tuple[int, list[int]]:
    """Intake's page size and pages that hold rows offset … offset + limit - 1."""
    if limit <= INTAKE_PAGE and offset % limit == 0:
        return limit, [offset // limit + 1]
    first, last = offset // INTAKE_PAGE, (offset + limit - 1) // INTAKE_PAGE
    return INTAKE_PAGE, list(range(first + 1, last + 2))


class PublicReports:
    def __init__(self, session: requests.Session, intake_url: str, timeout_s: float,
                 headers: dict[str, str]) -> None:
        self.session = session
        self.url = f"{intake_url.rstrip('/')}/reports"
        self.timeout_s = timeout_s
        self.headers = headers

    def _get(self, url: str, params: dict[str, str] | None = None) -> requests.Response:
        try:
            return self.session.get(url, params=params, headers=self.headers,
                                    timeout=self.timeout_s)
        except requests.RequestException as err:
            raise ApiError(503, "service_unavailable",
                           "A backing service is unavailable; retry later.") from err

    def one(self, code: str, city: str) -> dict[str, Any] | None:
        """The public view of a report of `city` (None when the public may not see it)."""
        response = self._get(f"{self.url}/{quote(code, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise intake_error(response)
        report = response.json()
        return report if report.get("city") == city else None

    def _page(self, params: dict[str, str], page: int, page_size: int) -> list[dict[str, Any]]:
        # Open311 shows no total: intake need not count (a second query).
        response = self._get(self.url, params | {"page": str(page), "page_size": str(page_size),
                                                 "with_total": "false"})
        if response.status_code != 200:
            raise intake_error(response)
        return response.json()["items"]

    def rows(self, params: dict[str, str], offset: int, limit: int) -> list[dict[str, Any]]:
        """Rows offset … offset + limit - 1 of the public list for `params`."""
        page_size, pages = _pages(offset, limit)
        if pages[0] > LAST_PAGE:  # beyond any list intake would page through
            return []
        rows: list[dict[str, Any]] = []
        for page in (p for p in pages if p <= LAST_PAGE):
            found = self._page(params, page, page_size)
            rows += found
            if len(found) < page_size:
                break
        skip = offset - (pages[0] - 1) * page_size
        return rows[skip:skip + limit]
