"""Open311's `media_url`: the picture a client names, fetched once, safely, to be submitted as
the report's photo (intake and verification then judge it as any upload).

Safely: http or https only; every host, the first and each redirect's, must pass the platform's
rule for URLs someone else chose (`aduan/infra/public_addresses.py`: public addresses only,
`ADUAN_MEDIA_URL_PRIVATE_HOSTS` the exceptions) and the request goes to the address checked
(`aduan/infra/pinned_http.py`), so DNS rebinding cannot reach the platform's own network; at
most `MAX_REDIRECTS` redirects; a short timeout for the whole fetch (`ADUAN_MEDIA_URL_TIMEOUT_S`);
at most `ADUAN_MAX_PHOTO_BYTES`; a JPEG, PNG or HEIC judged from the bytes, nothing else. No
retry: a client's server that fails is the client's to fix.

A fetch that fails raises `MediaFetchFailed` with a stable reason; the caller files the report
without a photo and records that reason for the operators.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urljoin

from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from aduan.infra import pinned_http
from aduan.infra.config import Settings
from aduan.infra.pinned_http import BodyTooLarge, TooSlow
from aduan.infra.public_addresses import HostRule, TargetRefused, resolve_target
from aduan.web.image_types import sniff_image_type

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Types a server may announce for a picture (many say octet-stream); the bytes decide anyway.
_ANNOUNCED = ("image/", "application/octet-stream", "binary/octet-stream")
_HEADERS = {"User-Agent": "Aduan-Open311/1 (media_url)",
            "Accept": "image/jpeg, image/png, image/heic;q=0.9", "Accept-Encoding": "identity"}

# Why a fetch failed: the `media_fetch_failed` recorded on the report.
ADDRESS_NOT_ALLOWED = "address_not_allowed"
HOST_NOT_ALLOWED = "host_not_allowed"
HOST_UNRESOLVABLE = "host_unresolvable"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
HTTP_STATUS = "http_status"
TOO_MANY_REDIRECTS = "too_many_redirects"
TOO_LARGE = "too_large"
NOT_AN_IMAGE = "not_an_image"
REASONS = (ADDRESS_NOT_ALLOWED, HOST_NOT_ALLOWED, HOST_UNRESOLVABLE, UNREACHABLE, TIMEOUT,
           HTTP_STATUS, TOO_MANY_REDIRECTS, TOO_LARGE, NOT_AN_IMAGE)


class MediaFetchFailed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str  # judged from the bytes


def media_rule(settings: Settings) -> HostRule:
    return HostRule("media_url", "media_url", settings.media_url_private_hosts)


def _get(rule: HostRule, url: str, timeout_s: float, max_bytes: int) -> pinned_http.Answer:
    try:
        target = resolve_target(rule, url)
    except TargetRefused as refused:
        raise MediaFetchFailed(refused.reason) from None
    try:
        return pinned_http.get(target, url, _HEADERS, timeout_s, max_bytes)
    except BodyTooLarge:
        raise MediaFetchFailed(TOO_LARGE) from None
    except TooSlow:
        raise MediaFetchFailed(TIMEOUT) from None
    except HTTPError as err:  # no whole answer: refused, reset, timed out, TLS failed
        timed_out = isinstance(err, TimeoutError) and not isinstance(err, NewConnectionError)
        raise MediaFetchFailed(TIMEOUT if timed_out else UNREACHABLE,
                               type(err).__name__) from None


def fetch_media(settings: Settings, url: str) -> Picture:
    """The picture at `url` (a client's), or MediaFetchFailed."""
    if len(url) > MAX_URL_LENGTH or not url.lower().startswith(("http://", "https://")):
        raise MediaFetchFailed(HOST_NOT_ALLOWED, "not an http(s) URL")
    rule, max_bytes = media_rule(settings), settings.max_photo_bytes
    # One time budget for the whole fetch, redirects included (not one per request).
    deadline = time.monotonic() + settings.media_url_timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise MediaFetchFailed(TIMEOUT, "redirects took the time allowed")
        answer = _get(rule, url, left, max_bytes)
        if answer.status in REDIRECTS and answer.headers.get("location"):
            url = urljoin(url, answer.headers["location"])  # checked as the first one was
            continue
        if not 200 <= answer.status < 300:
            raise MediaFetchFailed(HTTP_STATUS, str(answer.status))
        announced = answer.headers.get("content-type", "").lower()
        content_type = sniff_image_type(answer.body)
        if (announced and not announced.startswith(_ANNOUNCED)) or content_type is None:
            raise MediaFetchFailed(NOT_AN_IMAGE, announced)
        return Picture(answer.body, content_type)
    raise MediaFetchFailed(TOO_MANY_REDIRECTS)


def fetch_or_reason(settings: Settings, url: str) -> Picture | str:
    """The picture, or why there is none (logged without the URL, which may hold a secret)."""
    try:
        return fetch_media(settings, url)
    except MediaFetchFailed as failed:
        log.info("media_url not fetched: %s", failed)
        return failed.reason
