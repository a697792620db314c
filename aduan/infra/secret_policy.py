"""Production refuses to start without real secrets.

With ADUAN_ENV=production every process, before it does anything else, checks each secret it
may use: set, not a value this repository ships (defaults, examples, placeholders, the dev
stack's), and long enough for its use (HMAC keys at least 32 bytes). Each problem is one line on
standard error naming the variable, then the process exits with status 2. Anywhere else (a
developer's machine, the test suite) nothing is checked: `make up` generates its own keys.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from aduan.infra.keyring import previous_secrets

if TYPE_CHECKING:
    from aduan.infra.config import Settings

PRODUCTION = "production"
HMAC_KEY_MIN_BYTES = 32
EXIT_STATUS = 2

# Every secret value that appears anywhere in this repository (code defaults, the dev and test
# stacks, docs, compose and Kubernetes examples): a deployment using one of them is using a
# public key. tests/test_secret_policy_shipped.py checks that each secret literal the repository
# ships is refused.
SHIPPED_VALUES = frozenset({
    "dev-only-token-secret",
    "dev-only-jwt-secret-change-me-in-production",
    "dev-only-delivery-hash-secret",
    "change-me",
    "changeme",
    "aduan",
    "aduan-dev",
    "aduan-dev-secret",
    "aduan-demo-2026",
    "guest",
    "admin",
    "password",
    "secret",
    "minioadmin",
})
# Placeholders a person may type into an example file instead of a real value.
PLACEHOLDER_MARKERS = ("change-me", "change_me", "changeme", "dev-only", "placeholder",
                       "replace-me", "example", "your-secret", "xxxxxxxx")


@dataclass(frozen=True)
class SecretRule:
    variable: str
    min_length: int
    values: Callable[[Settings], list[str]]  # empty: the secret is not in use here
    required: Callable[[Settings], bool] = lambda _: True


def _url_password(url: str) -> list[str]:
    password = urlparse(url).password
    return [unquote(password)] if password else []


def _header_value(header: str) -> list[str]:
    _, _, value = header.partition(":")
    return [value.strip()] if value.strip() else []


def _lapor_tokens(tokens: str) -> list[str]:
    """The tokens of `padang=TOKEN,jambi=TOKEN`; an entry without `=` counts as a bare token."""
    values = [entry.partition("=")[2] or entry for entry in tokens.split(",") if entry.strip()]
    return [value.strip() for value in values]


def _set(value: str) -> list[str]:
    return [value] if value else []


# The connectors' credentials, each required while its connector is on. 16 bytes is a floor
# against placeholders and typing slips for what a third party issues (Meta's tokens and app
# secrets are far longer; LAPOR!'s are assumed to be), and the length of a generated value for
# what the city chooses itself (the webhook's verify token, the SMS provider's shared secret).
CONNECTOR_RULES: tuple[SecretRule, ...] = (
    SecretRule("ADUAN_LAPOR_TOKENS", 16, lambda s: _lapor_tokens(s.lapor_tokens),
               lambda s: bool(s.lapor_base_url)),
    SecretRule("ADUAN_WHATSAPP_ACCESS_TOKEN", 16, lambda s: _set(s.whatsapp_access_token),
               lambda s: bool(s.whatsapp_phone_number_id)),
    # Signs every webhook POST: without it anyone could post messages "from" any number.
    SecretRule("ADUAN_WHATSAPP_APP_SECRET", 16, lambda s: _set(s.whatsapp_app_secret),
               lambda s: bool(s.whatsapp_phone_number_id)),
    SecretRule("ADUAN_WHATSAPP_VERIFY_TOKEN", 16, lambda s: _set(s.whatsapp_verify_token),
               lambda s: bool(s.whatsapp_phone_number_id)),
    # Empty is the channel switched off (the endpoint answers 404), never an open endpoint.
    SecretRule("ADUAN_SMS_INBOUND_SECRET", 16, lambda s: _set(s.sms_inbound_secret),
               lambda _: False),
)

RULES: tuple[SecretRule, ...] = (
    SecretRule("ADUAN_JWT_SECRET", HMAC_KEY_MIN_BYTES, lambda s: [s.jwt_secret]),
    SecretRule("ADUAN_JWT_PREVIOUS_SECRETS", HMAC_KEY_MIN_BYTES,
               lambda s: list(previous_secrets(s.jwt_previous_secrets)), lambda _: False),
    SecretRule("ADUAN_TOKEN_SECRET", HMAC_KEY_MIN_BYTES, lambda s: [s.token_secret]),
    SecretRule("ADUAN_TOKEN_PREVIOUS_SECRETS", HMAC_KEY_MIN_BYTES,
               lambda s: list(previous_secrets(s.token_previous_secrets)), lambda _: False),
    SecretRule("ADUAN_DELIVERY_HASH_SECRET", HMAC_KEY_MIN_BYTES,
               lambda s: [s.delivery_hash_secret]),
    SecretRule("ADUAN_S3_SECRET_KEY", 16, lambda s: [s.s3_secret_key]),
    # The broker's password lives in its URL; RabbitMQ's guest account only works locally.
    SecretRule("ADUAN_AMQP_URL", 12, lambda s: _url_password(s.amqp_url)),
    # A database without a password (a private network, certificate auth) is the city's call;
    # a password, when there is one, must be real.
    SecretRule("ADUAN_MONGO_URL", 12, lambda s: _url_password(s.mongo_url), lambda _: False),
    SecretRule("ADUAN_SMTP_PASSWORD", 8, lambda s: [s.smtp_password] if s.smtp_password else [],
               lambda s: bool(s.smtp_user)),
    SecretRule("ADUAN_SMS_AUTH_HEADER", 8, lambda s: _header_value(s.sms_auth_header),
               lambda s: bool(s.sms_url)),
    # Web Push's VAPID private key (base64url, 43 characters; a PEM is longer): push is off
    # while it is empty, but a public key handed to browsers without it is a half-made setup.
    SecretRule("ADUAN_VAPID_PRIVATE_KEY", 32, lambda s: _set(s.vapid_private_key.strip()),
               lambda s: bool(s.vapid_public_key.strip())),
    *CONNECTOR_RULES,
)


def is_shipped(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in SHIPPED_VALUES or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per secret that production must not run with; empty when all are fine."""
    environ = os.environ if environ is None else environ
    return list(_problems(settings, environ))


def _problems(settings: Settings, environ: Mapping[str, str]) -> Iterator[str]:
    for rule in RULES:
        values = rule.values(settings)
        if not values:
            if rule.required(settings):
                yield f"{rule.variable} is not set (or holds no secret)"
            continue
        if rule.required(settings) and rule.variable not in environ:
            yield f"{rule.variable} is not set"
            continue
        for value in values:
            if is_shipped(value):
                yield (f"{rule.variable} holds a value shipped with Aduan (a default, example or "
                       f"placeholder): generate one, e.g. `openssl rand -hex 32`")
            elif len(value.encode()) < rule.min_length:
                yield (f"{rule.variable} is too short: {len(value.encode())} bytes, at least "
                       f"{rule.min_length}")
    yield from _vapid_subject_problems(settings)


# Domains of no one (RFC 2606, 6761, 6762): the default `mailto:admin@aduan.local` is one.
_PLACEHOLDER_LABELS = ("example", "local", "localhost", "invalid", "test")


def _vapid_subject_problems(settings: Settings) -> Iterator[str]:
    """With push on, the contact every push service is given with each message (RFC 8292):
    the operator's real `mailto:` or `https:` address, not this repository's default or an
    example one (a push service that has to reach the sender, say before blocking it, could
    not)."""
    if not settings.vapid_private_key.strip():
        return
    subject = settings.vapid_subject.strip()
    lowered = subject.lower()
    if lowered.startswith("mailto:"):
        domain = lowered.removeprefix("mailto:").rpartition("@")[2]
        wellformed = "@" in lowered and "." in domain
    elif lowered.startswith("https://"):
        domain = (urlparse(subject).hostname or "").lower()
        wellformed = "." in domain
    else:
        yield "ADUAN_VAPID_SUBJECT is not a mailto: or https: contact"
        return
    placeholder = any(label in _PLACEHOLDER_LABELS for label in domain.split("."))
    if not wellformed or placeholder or is_shipped(subject):
        yield ("ADUAN_VAPID_SUBJECT is a default, example or placeholder contact: set the "
               "city's own mailto: address or https: page, which push services may use to "
               "reach the sender")


def refuse_insecure_start(settings: Settings) -> None:
    """Exits the process (status 2) when production would run with an unsafe secret."""
    if settings.env != PRODUCTION:
        return
    found = problems(settings)
    if not found:
        return
    for problem in found:
        print(f"aduan: refusing to start with ADUAN_ENV=production: {problem}", file=sys.stderr,
              flush=True)
    raise SystemExit(EXIT_STATUS)
