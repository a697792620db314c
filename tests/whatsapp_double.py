"""Test double of Meta's WhatsApp Business Cloud API (the Graph API), a third party the suite
cannot reach: a real HTTP server on 127.0.0.1 playing the three calls Aduan makes, plus the
webhook payloads Meta sends, built and signed the way Meta builds and signs them.

Played contract (developers.facebook.com/docs/whatsapp/cloud-api, v21.0):
- `POST /{phone_number_id}/messages` with `Authorization: Bearer <access token>` and a JSON
  body {messaging_product: "whatsapp", to, type: text|interactive|template, ...} → 200
  {"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id":
  "wamid.…"}]}; a wrong token → 401 {"error": {"code": 190, ...}} (Meta's OAuthException).
- `GET /{media_id}` (bearer; media ids are digits) → {"url", "mime_type", "sha256",
  "file_size", "id"}; the url is short-lived and needs the bearer token too. `GET <url>` → the
  bytes (Meta serves them from https://lookaside.fbsbx.com; the double from itself).
- Webhooks: `POST` of {"object": "whatsapp_business_account", "entry": [{"id", "changes":
  [{"field": "messages", "value": {"messaging_product", "metadata", "contacts", "messages"}}]}]}
  with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app secret>`.

`answer(n)` gives the status of the n-th send (1-based; 200 by default), to play outages.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from http_receiver import LocalServer, QuietHandler, QuietServer, Received

PHONE_NUMBER_ID = "109876543210"
ACCESS_TOKEN = "test-wa-access-token"
APP_SECRET = "test-wa-app-secret"
VERIFY_TOKEN = "test-wa-verify-token"
BUSINESS_ACCOUNT_ID = "102290129340398"
DISPLAY_NUMBER = "6281100000000"


class WhatsAppDouble(LocalServer):
    def __init__(self, answer: Callable[[int], int] = lambda _: 200) -> None:
        super().__init__()
        self.answer = answer
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_urls: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []
        self.received: list[Received] = []
        self._sends = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The Graph API base (whatsapp_api_url)."""
        return f"http://127.0.0.1:{self.port}/v21.0"

    def settings(self) -> dict[str, str]:
        """The ADUAN_* environment that points the channels service at this double."""
        return {"ADUAN_WHATSAPP_API_URL": self.url,
                "ADUAN_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
                "ADUAN_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
                "ADUAN_WHATSAPP_APP_SECRET": APP_SECRET,
                "ADUAN_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
                # The double serves the media downloads too, over http on 127.0.0.1.
                "ADUAN_WHATSAPP_MEDIA_ORIGINS": f"http://127.0.0.1:{self.port}"}

    def add_media(self, media_id: str, data: bytes, mime_type: str = "image/jpeg",
                  url: str | None = None) -> None:
        """`url`: what the lookup gives as the download URL (the double's own by default)."""
        with self._lock:
            self.media[media_id] = (data, mime_type)
            if url is not None:
                self.media_urls[media_id] = url

    def messages_to(self, wa_id: str) -> list[dict[str, Any]]:
        """The bodies of the messages sent (and answered 200) to `wa_id`, in order."""
        with self._lock:
            return [m for m in self.sent if m.get("to") == wa_id]

    def paths_asked(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.received]

    def start(self) -> WhatsAppDouble:
        double = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: Any, content_type: str = "application/json"
                        ) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}":
                    return True
                self._answer(401, {"error": {"message": "Invalid OAuth access token.",
                                             "type": "OAuthException", "code": 190}})
                return False

            def do_GET(self) -> None:
                with double._lock:
                    double.received.append(Received("GET", self.path, dict(self.headers), b""))
                if not self._authorized():
                    return
                parts = self.path.strip("/").split("/")
                if len(parts) == 3 and parts[:2] == ["v21.0", "download"]:
                    found = double.media.get(parts[2])
                    if found is None:
                        self._answer(404, {"error": {"message": "not found", "code": 100}})
                    else:
                        self._answer(200, found[0], found[1])
                    return
                if len(parts) == 2 and parts[1] in double.media:
                    data, mime = double.media[parts[1]]
                    self._answer(200, {
                        "messaging_product": "whatsapp", "id": parts[1], "mime_type": mime,
                        "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data),
                        "url": double.media_urls.get(parts[1],
                                                     f"{double.url}/download/{parts[1]}")})
                    return
                self._answer(404, {"error": {"message": "Unsupported get request.",
                                             "code": 100}})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with double._lock:
                    double.received.append(
                        Received("POST", self.path, dict(self.headers), body))
                if not self._authorized():
                    return
                if self.path != f"/v21.0/{PHONE_NUMBER_ID}/messages":
                    self._answer(404, {"error": {"message": "Unknown path", "code": 100}})
                    return
                message = json.loads(body)
                with double._lock:
                    double._sends += 1
                    status = double.answer(double._sends)
                    if status == 200:
                        double.sent.append(message)
                        wamid = f"wamid.OUT{next(double._ids):08d}"
                if status != 200:
                    self._answer(status, {"error": {"message": "Service unavailable",
                                                    "code": 131000}})
                    return
                self._answer(200, {"messaging_product": "whatsapp",
                                   "contacts": [{"input": message.get("to"),
                                                 "wa_id": message.get("to")}],
                                   "messages": [{"id": wamid}]})

        return self._serve(Handler, QuietServer, poll_s=0.05)


# --- What Meta POSTs to the webhook -------------------------------------------------------

_wamids = itertools.count(1)


def new_media_id() -> str:
    """A media id as Meta gives them: digits."""
    return f"{time.time_ns()}{next(_wamids):06d}"


def new_wamid() -> str:
    return f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYIN{time.time_ns():x}{next(_wamids):06d}"


def envelope(wa_id: str, message: dict[str, Any], name: str = "Warga") -> dict[str, Any]:
    """One message in the webhook's documented envelope."""
    return {"object": "whatsapp_business_account", "entry": [{
        "id": BUSINESS_ACCOUNT_ID, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER,
                         "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [message]}}]}]}


def _message(wa_id: str, kind: str, wamid: str | None, **content: Any) -> dict[str, Any]:
    return {"from": wa_id, "id": wamid or new_wamid(), "timestamp": str(int(time.time())),
            "type": kind, **content}


def text(wa_id: str, body: str, wamid: str | None = None) -> dict[str, Any]:
    return _message(wa_id, "text", wamid, text={"body": body})


def image(wa_id: str, media_id: str, caption: str | None = None, wamid: str | None = None
          ) -> dict[str, Any]:
    content: dict[str, Any] = {"id": media_id, "mime_type": "image/jpeg",
                               "sha256": "unused-by-aduan"}
    if caption:
        content["caption"] = caption
    return _message(wa_id, "image", wamid, image=content)


def location(wa_id: str, lat: float, lon: float, name: str | None = None,
             address: str | None = None, wamid: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"latitude": lat, "longitude": lon}
    if name:
        content["name"] = name
    if address:
        content["address"] = address
    return _message(wa_id, "location", wamid, location=content)


def list_reply(wa_id: str, row_id: str, title: str = "", wamid: str | None = None
               ) -> dict[str, Any]:
    return _message(wa_id, "interactive", wamid, interactive={
        "type": "list_reply", "list_reply": {"id": row_id, "title": title or row_id}})


def button_reply(wa_id: str, button_id: str, title: str = "", wamid: str | None = None
                 ) -> dict[str, Any]:
    return _message(wa_id, "interactive", wamid, interactive={
        "type": "button_reply", "button_reply": {"id": button_id, "title": title or button_id}})


def signed(payload: dict[str, Any], secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of Meta's POST: compact JSON, signed over those exact bytes."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json",
                 "X-Hub-Signature-256": f"sha256={signature}"}
