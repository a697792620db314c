"""The WhatsApp Business Cloud API's send and media calls, as plain HTTP (requests).

Why not a client library such as pywa: Aduan makes three calls (send a message, look up a
media id, download the media) and pywa brings a web framework integration, its own webhook
server and typed models of the whole API; the three calls are a few lines each against the
documented Graph endpoints, keep the dependency surface of a service that holds an access
token small, and are played in tests by a small local server (tests/whatsapp_double.py).

- `POST {whatsapp_api_url}/{phone_number_id}/messages` (bearer access token): text,
  interactive (list, buttons) and template messages.
- `GET {whatsapp_api_url}/{media_id}` → {url, mime_type, file_size}; `GET url` (bearer) → the
  bytes. Media URLs are short-lived: photos are downloaded when their message arrives.
"""

from __future__ import annotations

from typing import Any

import requests

from aduan.infra.config import Settings


class WhatsAppUnavailable(Exception):
    """The Graph API could not be reached or failed (5xx, 429, timeout): try again later."""


class WhatsAppRefused(Exception):
    """The Graph API refused the call (other 4xx): sending it again will not help."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"WhatsApp refused: {status} {body[:200]}")
        self.status = status


class MediaTooLarge(Exception):
    pass


class WhatsAppApi:
    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.base = settings.whatsapp_api_url.rstrip("/")
        self.phone_number_id = settings.whatsapp_phone_number_id
        self.timeout_s = settings.whatsapp_timeout_s
        self.max_bytes = settings.max_photo_bytes
        self.session = session or requests.Session()
        self.headers = {"Authorization": f"Bearer {settings.whatsapp_access_token}"}

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, headers=self.headers,
                                            timeout=self.timeout_s, **kwargs)
        except requests.RequestException as err:
            raise WhatsAppUnavailable(type(err).__name__) from err
        if response.status_code >= 500 or response.status_code == 429:
            raise WhatsAppUnavailable(f"WhatsApp answered {response.status_code}")
        if response.status_code >= 400:
            raise WhatsAppRefused(response.status_code, response.text)
        return response

    def send(self, to: str, message: dict[str, Any]) -> str:
        """Sends one message (the Graph API's body without `messaging_product`/`to`); its
        wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                **message}
        answer = self._call("POST", f"{self.base}/{self.phone_number_id}/messages", json=body)
        try:
            return str(answer.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            return ""

    def media(self, media_id: str) -> tuple[bytes, str]:
        """The bytes and content type of a media id, at most max_photo_bytes."""
        info = self._call("GET", f"{self.base}/{media_id}").json()
        if int(info.get("file_size") or 0) > self.max_bytes:
            raise MediaTooLarge(media_id)
        download = self._call("GET", info["url"], stream=True)
        chunks: list[bytes] = []
        size = 0
        for chunk in download.iter_content(64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                download.close()
                raise MediaTooLarge(media_id)
            chunks.append(chunk)
        return b"".join(chunks), info.get("mime_type") or "image/jpeg"


def graph_message(reply: dict[str, Any]) -> dict[str, Any]:
    """A bot reply (aduan.domain.conversation: text, list, buttons) as the Graph API's body."""
    kind = reply["kind"]
    if kind == "list":
        return {"type": "interactive", "interactive": {
            "type": "list", "body": {"text": reply["body"][:1024]},
            "action": {"button": reply["button"][:20], "sections": [{
                "title": reply["button"][:24],
                "rows": [{"id": r["id"], "title": r["title"]} for r in reply["rows"]]}]}}}
    if kind == "buttons":
        return {"type": "interactive", "interactive": {
            "type": "button", "body": {"text": reply["body"][:1024]},
            "action": {"buttons": [{"type": "reply", "reply": b}
                                   for b in reply["buttons"]]}}}
    return {"type": "text", "text": {"body": reply["body"][:4096], "preview_url": False}}
