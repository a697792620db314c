"""Signing keys with ids, so that a key can be rotated without signing everyone out.

A key's id is derived from the key itself (a short hash), so an operator rotates by setting the
new secret and moving the old one to the `*_PREVIOUS_SECRETS` list: tokens carry the id of the
key that signed them, verification picks that key, and signing always uses the current one.
Once every token signed by an old key has expired, the old key is dropped from the list."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aduan.infra.config import Settings


def key_id(secret: str) -> str:
    """Eight hex digits naming a key; reveals nothing usable about a key of 32 bytes or more."""
    return hashlib.sha256(b"aduan-key-id:" + secret.encode()).hexdigest()[:8]


def previous_secrets(listed: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in listed.split(",") if part.strip())


@dataclass(frozen=True)
class Key:
    id: str
    secret: str


@dataclass(frozen=True)
class Keyring:
    current: Key
    previous: tuple[Key, ...] = ()

    @classmethod
    def of(cls, current: str, previous: str = "") -> Keyring:
        return cls(Key(key_id(current), current),
                   tuple(Key(key_id(s), s) for s in previous_secrets(previous) if s != current))

    @property
    def keys(self) -> tuple[Key, ...]:
        return (self.current, *self.previous)

    def find(self, wanted: str | None) -> Key | None:
        return next((key for key in self.keys if key.id == wanted), None)


def jwt_keys(settings: Settings) -> Keyring:
    return Keyring.of(settings.jwt_secret, settings.jwt_previous_secrets)


def reporter_token_keys(settings: Settings) -> Keyring:
    return Keyring.of(settings.token_secret, settings.token_previous_secrets)
