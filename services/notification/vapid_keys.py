"""The VAPID key pair (RFC 8292) Web Push messages are signed with: generated once per
deployment, the private key a secret (ADUAN_VAPID_PRIVATE_KEY), the public key given to every
browser that subscribes (ADUAN_VAPID_PUBLIC_KEY, `GET /push/key`).

    python -m services.notification.vapid_keys      # prints a new pair as two ADUAN_ lines

The private key is written as base64url of its raw 32 bytes (a PEM is read too); the public key
as base64url of the uncompressed P-256 point (65 bytes), which is what browsers take as
`applicationServerKey`. Changing the pair makes every stored subscription useless (the push
services only take messages signed with the key the browser subscribed with).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from aduan.infra.config import Settings


class VapidKeyInvalid(ValueError):
    """The configured key is not a P-256 private key, or the public key is not its own."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Raises binascii.Error (a ValueError) for what is not base64url."""
    cleaned = text.strip().rstrip("=")  # padding is optional
    if not cleaned or any(c not in _B64URL for c in cleaned):
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def generate() -> tuple[str, str]:
    """A new pair: (private key, public key), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return b64url(private), b64url(public_point(key.public_key()))


def load_private(text: str) -> ec.EllipticCurvePrivateKey:
    """The private key from its setting (base64url raw 32 bytes, or PEM)."""
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) != 32:
                raise VapidKeyInvalid("a raw VAPID private key is 32 bytes")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError) as err:
        raise VapidKeyInvalid(f"the VAPID private key cannot be read: {err}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VapidKeyInvalid("a VAPID key is a P-256 (secp256r1) key")
    return key


@dataclass(frozen=True)
class VapidKeys:
    signer: Vapid
    public_key: str  # base64url, uncompressed point
    subject: str


def from_settings(settings: Settings) -> VapidKeys | None:
    """The deployment's keys; None while push is off (no private key). VapidKeyInvalid when
    the key is unreadable or the public key set beside it is another key's."""
    if not settings.vapid_private_key.strip():
        return None
    return _keys(settings.vapid_private_key.strip(), settings.vapid_public_key.strip(),
                 settings.vapid_subject)


@lru_cache(maxsize=4)
def _keys(private: str, configured: str, subject: str) -> VapidKeys:
    key = load_private(private)
    public = b64url(public_point(key.public_key()))
    if configured and configured.rstrip("=") != public:
        raise VapidKeyInvalid("ADUAN_VAPID_PUBLIC_KEY is not the public key of "
                              "ADUAN_VAPID_PRIVATE_KEY")
    return VapidKeys(Vapid(key), public, subject)


def main() -> None:
    private, public = generate()
    print(f"ADUAN_VAPID_PRIVATE_KEY={private}")
    print(f"ADUAN_VAPID_PUBLIC_KEY={public}")


if __name__ == "__main__":
    main()
