"""The WhatsApp Business Cloud API (Meta's Graph API), the one client of it: the channels
service's bot (its replies, the photos residents send) and the notifier (status messages) both
call it through here, so both speak to Meta the same way and read its answers by one rule.

Why plain HTTP (requests) and not a client library such as pywa: Aduan makes three calls (send
a message, look up a media id, download the media) and pywa brings a web framework
integration, its own webhook server and typed models of the whole API; the three calls are a
few lines each against the documented Graph endpoints, keep the dependency surface of services
that hold an access token small, and are played in tests by a small local server
(tests/whatsapp_double.py).

- `POST {whatsapp_api_url}/{phone_number_id}/messages` (bearer access token): text,
  interactive (list, buttons) and template messages → {"messages": [{"id": wamid}]}.
- `GET {whatsapp_api_url}/{media_id}` (media ids are digits) → {url, mime_type, file_size};
  `GET url` (bearer) → the bytes. The access token goes only to an origin of
  ADUAN_WHATSAPP_MEDIA_ORIGINS (Meta's https media host by default), redirects are not
  followed, and a lookup that is not Meta's documented shape is refused, never a crash.

Answers: 2xx taken; no answer, 5xx, 408, 425, 429 and 401/403 (a token being rotated) are
`WhatsAppUnavailable` (try again later); any other 4xx is `WhatsAppRefused` (sending it again
will not help) with Meta's error code. Neither quotes the number or the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from aduan.infra.config import Settings

RETRYABLE_STATUSES = frozenset({401, 403, 408, 425, 429})
MEDIA_ID = re.compile(r"^[0-9]{1,40}$")


class WhatsAppUnavailable(Exception):
    """The Graph API could not be reached or failed for now: try again later."""


class WhatsAppRefused(Exception):
    """The Graph API refused the call (or answered what is not its documented shape)."""

    def __init__(self, status: int, code: int | None = None, why: str = "") -> None:
        super().__init__(f"WhatsApp refused: {status} error {code} {why}".strip())
        self.status = status
        self.code = code  # Meta's error code, e.g. 131047: outside the 24-hour window


class MediaTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Sent:
    status: int
    message_id: str  # "" when Meta's answer held none


def whatsapp_enabled(settings: Settings) -> bool:
    return bool(settings.whatsapp_phone_number_id and settings.whatsapp_access_token)


def _answer(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def error_code(response: requests.Response) -> int | None:
    error = _answer(response).get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class GraphApi:
    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.base = settings.whatsapp_api_url.rstrip("/")
        self.phone_number_id = settings.whatsapp_phone_number_id
        self.timeout_s = settings.whatsapp_timeout_s
        self.max_bytes = settings.max_photo_bytes
        self.media_origins = frozenset(
            o.strip().rstrip("/").lower() for o in settings.whatsapp_media_origins.split(",")
            if o.strip())
        self.session = session or requests.Session()
        self.headers = {"Authorization": f"Bearer {settings.whatsapp_access_token}",
                        "User-Agent": "Aduan-WhatsApp/1"}

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, headers=self.headers,
                                            timeout=self.timeout_s, allow_redirects=False,
                                            **kwargs)
        except requests.RequestException as err:
            raise WhatsAppUnavailable(f"no answer: {type(err).__name__}") from None
        status = response.status_code
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise WhatsAppUnavailable(f"WhatsApp answered {status}")
        if status >= 300:  # a redirect is never followed with the token
            raise WhatsAppRefused(status, error_code(response))
        return response

    def send(self, to: str, message: dict[str, Any]) -> Sent:
        """Sends one message (the Graph API's body without `messaging_product`/`to`) to the
        wa_id `to` (digits)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                **message}
        answer = self._call("POST", f"{self.base}/{self.phone_number_id}/messages", json=body)
        messages = _answer(answer).get("messages")
        wamid = ""
        if isinstance(messages, list) and messages and isinstance(messages[0], dict) \
                and isinstance(messages[0].get("id"), str):
            wamid = messages[0]["id"]
        return Sent(answer.status_code, wamid)

    def media(self, media_id: str) -> tuple[bytes, str]:
        """The bytes and content type of a media id, at most max_photo_bytes."""
        if not MEDIA_ID.match(media_id):
            raise WhatsAppRefused(400, None, "not a media id")
        lookup = self._call("GET", f"{self.base}/{media_id}")
        try:
            info = lookup.json()
        except ValueError:
            raise WhatsAppUnavailable("the media lookup is not JSON") from None
        url = info.get("url") if isinstance(info, dict) else None
        if not isinstance(url, str) or _origin(url) not in self.media_origins:
            raise WhatsAppRefused(lookup.status_code, None, "no media URL of Meta's")
        try:
            size = int(info.get("file_size") or 0)
        except (TypeError, ValueError):
            raise WhatsAppRefused(lookup.status_code, None, "bad file_size") from None
        if size > self.max_bytes:
            raise MediaTooLarge(media_id)
        download = self._call("GET", url, stream=True)
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in download.iter_content(64 * 1024):
                total += len(chunk)
                if total > self.max_bytes:
                    raise MediaTooLarge(media_id)
                chunks.append(chunk)
        except requests.RequestException as err:
            raise WhatsAppUnavailable(f"download broke off: {type(err).__name__}") from None
        finally:
            download.close()
        mime = info.get("mime_type")
        return b"".join(chunks), mime if isinstance(mime, str) and mime else "image/jpeg"
