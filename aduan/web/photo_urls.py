"""The stable addresses at which the gateway serves a report's photos (never a presigned URL
of the object store: that names an internal host and dies after minutes). Each address is
answered under the report's visibility rules (services/intake/photo_files.py)."""

from __future__ import annotations

from urllib.parse import quote

API = "/api/v1"


def _report(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{API}/reports/{quote(code, safe='')}"


def report_photo(base_url: str, code: str, number: int) -> dict[str, str]:
    """The report's `number`-th photo (from 1) and its thumbnail."""
    url = f"{_report(base_url, code)}/photos/{number}"
    return {"url": url, "thumbnail_url": f"{url}/thumbnail"}


def evidence_photo(base_url: str, code: str, photo_id: str) -> dict[str, str]:
    url = f"{_report(base_url, code)}/evidence/{quote(photo_id, safe='')}"
    return {"url": url, "thumbnail_url": f"{url}/thumbnail"}


def comment_photo(base_url: str, code: str, comment_id: str) -> dict[str, str]:
    url = f"{_report(base_url, code)}/comments/{quote(comment_id, safe='')}/photo"
    return {"url": url, "thumbnail_url": f"{url}/thumbnail"}
