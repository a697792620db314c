"""The suite's push service: the receiving end of Web Push (RFC 8030) that a browser vendor runs,
on 127.0.0.1, for tests that cannot reach a real one (the stack tests and the console's e2e
test, which hands what this double decrypted to the service worker).

    with PushDouble(vapid_public_key=settings.vapid_public_key) as double:
        subscription = double.subscription()          # {endpoint, keys: {p256dh, auth}}
        ...                                            # POST it to /reports/<code>/push
        [message] = double.wait_for(subscription_id(subscription))
        message.payload                                # the decrypted JSON

What it checks of every POST to `/push/<id>` (a failing check is answered 400/401 and kept in
`refusals`, never in `messages`):
- `Authorization: vapid t=<JWT>,k=<public key>` (RFC 8292): the JWT is ES256, signed by the
  key `k`, its `aud` is this server's origin, `exp` in the future and at most 24 h away, `sub`
  a mailto: or https: contact; `k` is `vapid_public_key` when one was given;
- `Content-Encoding: aes128gcm` and a `TTL` header; the body decrypts (RFC 8291) with the
  subscriber's private key and auth secret, which `subscription()` made and kept.

Answers 201 with a Location, unless told otherwise for an id: `answer(id, 500)` answers the next
POST with 500 (then 201 again; several statuses are used in turn), `answer_always(id, 410)`
every POST from then on; `DROP` (0) closes the connection without an answer, as a network
failure would; `TRICKLE` (-1) answers 201 with a body of no announced length and then sends
it a byte every 0.2 s for as long as the connection stays open (a push service that streams or
stalls; `trickling` is how many connections are still being fed). `attempts(id)` are all the
statuses answered, `messages(id)` the decrypted messages accepted.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from http_receiver import LocalServer, QuietHandler
from waiting import eventually

MAX_JWT_LIFETIME_S = 24 * 3600
DROP = 0  # an "answer": the connection is closed without one
TRICKLE = -1  # an "answer": 201, then an endless body a byte at a time
TRICKLE_PAUSE_S = 0.2


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PushReceived:
    """One message the double accepted: its decrypted payload (JSON, else text) and headers."""

    subscription_id: str
    payload: Any
    raw: bytes  # the decrypted bytes
    headers: dict[str, str]
    claims: dict[str, Any]  # the VAPID JWT's
    at: float = field(default_factory=time.time)


@dataclass
class _Subscriber:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    queued: list[int] = field(default_factory=list)
    always: int | None = None


def subscription_id(subscription: dict[str, Any]) -> str:
    """The id of a subscription this double made (the last part of its endpoint)."""
    return str(subscription["endpoint"]).rstrip("/").rsplit("/", 1)[-1]


class PushDouble(LocalServer):
    def __init__(self, port: int | None = None, vapid_public_key: str | None = None) -> None:
        super().__init__(port)
        self.vapid_public_key = (vapid_public_key or "").rstrip("=") or None
        self._subscribers: dict[str, _Subscriber] = {}
        self._messages: list[PushReceived] = []
        self._attempts: dict[str, list[int]] = {}
        self.refusals: list[tuple[str, int, str]] = []  # (id, status, why)
        self.trickling = 0  # connections being fed an endless body right now
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- what a test asks -----------------------------------------------------------------

    def subscription(self, sid: str | None = None) -> dict[str, Any]:
        """A new browser subscription (as PushSubscription.toJSON() gives it): an endpoint on
        this double and fresh keys; the private key and auth secret stay here to decrypt."""
        sid = sid or uuid.uuid4().hex
        key = ec.generate_private_key(ec.SECP256R1())
        auth = uuid.uuid4().bytes
        with self._lock:
            self._subscribers[sid] = _Subscriber(key, auth)
        point = key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{sid}", "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(auth)}}

    def answer(self, sid: str, *statuses: int) -> None:
        """The next POSTs to `sid` are answered with these statuses, in turn, then 201."""
        with self._lock:
            self._subscribers[sid].queued.extend(statuses)

    def answer_always(self, sid: str, status: int | None) -> None:
        with self._lock:
            self._subscribers[sid].always = status

    def messages(self, sid: str | None = None) -> list[PushReceived]:
        with self._lock:
            return [m for m in self._messages if sid is None or m.subscription_id == sid]

    def attempts(self, sid: str) -> list[int]:
        """Every status answered to POSTs for `sid`, in order (refusals included)."""
        with self._lock:
            return list(self._attempts.get(sid, []))

    def wait_for(self, sid: str, count: int = 1, timeout_s: float = 30) -> list[PushReceived]:
        """The messages of `sid` once there are at least `count`."""
        return eventually(lambda: (found := self.messages(sid)) and len(found) >= count
                          and found, timeout_s,
                          lambda: f"{count} push message(s) for {sid} (got "
                                  f"{len(self.messages(sid))}, attempts {self.attempts(sid)}, "
                                  f"refusals {self.refusals})")

    def wait_for_attempts(self, sid: str, count: int, timeout_s: float = 30) -> list[int]:
        return eventually(lambda: (found := self.attempts(sid)) and len(found) >= count
                          and found, timeout_s, f"{count} push attempt(s) for {sid}")

    # ---- the server -------------------------------------------------------------------------

    def start(self) -> PushDouble:
        double = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length)
                status, location = double._receive(self.path, dict(self.headers.items()), body)
                if status == DROP:
                    self.close_connection = True
                    return
                if status == TRICKLE:
                    double._trickle(self)
                    return
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return self._serve(Handler)

    def _receive(self, path: str, headers: dict[str, str], body: bytes
                 ) -> tuple[int, str | None]:
        parts = path.strip("/").split("/")
        sid = parts[1] if len(parts) == 2 and parts[0] == "push" else ""
        with self._lock:
            subscriber = self._subscribers.get(sid)
        if subscriber is None:
            return self._refuse(sid, 404, "no such subscription"), None
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            claims = self._check_vapid(lower.get("authorization", ""))
        except ValueError as err:
            return self._refuse(sid, 401, f"VAPID: {err}"), None
        if lower.get("content-encoding") != "aes128gcm":
            return self._refuse(sid, 400, "Content-Encoding is not aes128gcm"), None
        if not lower.get("ttl", "").isdigit():
            return self._refuse(sid, 400, "no TTL header"), None
        try:
            raw = http_ece.decrypt(body, private_key=subscriber.private_key,
                                   auth_secret=subscriber.auth, version="aes128gcm")
        except Exception as err:  # any failure to decrypt is the sender's
            return self._refuse(sid, 400, f"cannot decrypt: {type(err).__name__}: {err}"), None
        with self._lock:
            status = subscriber.queued.pop(0) if subscriber.queued else (subscriber.always
                                                                          or 201)
            self._attempts.setdefault(sid, []).append(status)
            if 200 <= status < 300 or status == TRICKLE:
                try:
                    payload: Any = json.loads(raw)
                except ValueError:
                    payload = raw.decode(errors="replace")
                self._messages.append(PushReceived(sid, payload, raw, headers, claims))
        return status, f"/messages/{uuid.uuid4().hex}" if 200 <= status < 300 else None

    def _trickle(self, handler: QuietHandler) -> None:
        """201 and a body of no announced length (it ends when the connection does), a byte at
        a time until the client goes."""
        handler.close_connection = True
        with self._lock:
            self.trickling += 1
        try:
            handler.send_response(201)
            handler.end_headers()
            while not self._stopping.wait(TRICKLE_PAUSE_S):
                handler.wfile.write(b"x")
                handler.wfile.flush()
        except OSError:  # the client closed the connection: what a bounded client does
            pass
        finally:
            with self._lock:
                self.trickling -= 1

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    def _refuse(self, sid: str, status: int, why: str) -> int:
        with self._lock:
            self.refusals.append((sid, status, why))
            self._attempts.setdefault(sid, []).append(status)
        return status

    def _check_vapid(self, authorization: str) -> dict[str, Any]:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"scheme {scheme!r}, not vapid")
        parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        token, key = parts.get("t"), parts.get("k")
        if not token or not key:
            raise ValueError("t= or k= missing")
        if self.vapid_public_key and key.rstrip("=") != self.vapid_public_key:
            raise ValueError("signed with another key than the application server's")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                              b64url_decode(key))
        try:
            claims = jwt.decode(token, public, algorithms=["ES256"], audience=self.origin,
                                options={"require": ["aud", "exp", "sub"]})
        except jwt.PyJWTError as err:
            raise ValueError(f"JWT: {err}") from None
        if claims["exp"] > time.time() + MAX_JWT_LIFETIME_S:
            raise ValueError("exp more than 24 h away")
        if not str(claims["sub"]).startswith(("mailto:", "https:")):
            raise ValueError("sub is not a mailto: or https: contact")
        return claims
