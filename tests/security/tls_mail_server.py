"""A mail server of the suite on 127.0.0.1 speaking TLS with a self-signed certificate made
at test time (openssl), for STARTTLS or SMTPS; it keeps every message it accepts."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from certificates import self_signed_certificate
from http_receiver import free_port


@dataclass
class _Keeper:
    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class MailServer:
    port: int
    certificate: Path
    keeper: _Keeper

    @property
    def messages(self) -> list[bytes]:
        return self.keeper.messages


@contextlib.contextmanager
def tls_mail_server(folder: Path, mode: str, host_name: str = "localhost"
                    ) -> Iterator[MailServer]:
    """`mode` is "starttls" (TLS required before MAIL) or "smtps" (TLS from the first byte)."""
    certificate, key = self_signed_certificate(folder, host_name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    keeper, port = _Keeper(), free_port()
    if mode == "smtps":
        controller = Controller(keeper, hostname="127.0.0.1", port=port, ssl_context=context)
    else:
        controller = Controller(keeper, hostname="127.0.0.1", port=port, tls_context=context,
                                require_starttls=True)
    controller.start()
    try:
        yield MailServer(port, certificate, keeper)
    finally:
        controller.stop()
