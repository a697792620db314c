"""One SMTP connection per worker (services/notification/email.py SmtpConnection), against a
local SMTP server (aiosmtpd, as tools/devsmtp.py): messages share it, a server that dropped it
gets the next message over a new one (once), refusals keep it, a server away fails the send."""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller

from aduan.infra.config import Settings
from services.notification.deliveries import DeliveryFailed, DeliveryRejected
from services.notification.email import SmtpConnection
from services.notification.templates import Rendered

MAIL = Rendered(subject="Laporan diterima", text="Terima kasih.", html="<p>Terima kasih.</p>")
REFUSED = "tidak-ada@example.id"


class Sink:
    """Keeps each message with the client port of the connection it came over."""

    def __init__(self) -> None:
        self.messages: list[tuple[int, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == REFUSED:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((session.peer[1], envelope.rcpt_tos[0]))
        return "250 2.0.0 queued"

    def connections(self) -> int:
        return len({port for port, _ in self.messages})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


def server(sink: Sink, port: int) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def connection(port: int) -> SmtpConnection:
    return SmtpConnection(replace(Settings(), smtp_host="127.0.0.1", smtp_port=port))


def send(smtp: SmtpConnection, to: str = "warga@example.id") -> str:
    return smtp.send(to, MAIL, uuid.uuid4().hex)


def test_messages_share_one_connection_and_a_refusal_keeps_it(port):
    sink = Sink()
    controller = server(sink, port)
    smtp = connection(port)
    try:
        replies = [send(smtp) for _ in range(3)]
        with pytest.raises(DeliveryRejected, match="SMTP RCPT 550"):
            send(smtp, REFUSED)
        send(smtp)
    finally:
        smtp.close()
        controller.stop()
    assert all(reply.startswith("250") for reply in replies)
    assert len(sink.messages) == 4 and sink.connections() == 1


def test_a_connection_the_server_dropped_is_replaced_and_the_message_goes_once(port):
    first, second = Sink(), Sink()
    controller = server(first, port)
    smtp = connection(port)
    send(smtp)
    controller.stop()  # the server goes away with the open connection, and comes back
    controller = server(second, port)
    try:
        assert send(smtp).startswith("250")
        send(smtp)
    finally:
        smtp.close()
        controller.stop()
    assert len(first.messages) == 1
    assert len(second.messages) == 2 and second.connections() == 1


def test_no_server_fails_the_send_and_the_next_one_connects_again(port):
    smtp = connection(port)
    with pytest.raises(DeliveryFailed, match="SMTP unreachable"):
        send(smtp)
    sink = Sink()
    controller = server(sink, port)
    try:
        send(smtp)
    finally:
        smtp.close()
        controller.stop()
    assert len(sink.messages) == 1


def test_an_idle_connection_is_not_reused(port):
    sink = Sink()
    controller = server(sink, port)
    smtp = SmtpConnection(replace(Settings(), smtp_host="127.0.0.1", smtp_port=port), idle_s=0)
    try:
        send(smtp)
        send(smtp)
    finally:
        smtp.close()
        controller.stop()
    assert sink.connections() == 2


class HangingUpSink(Sink):
    """Refuses REFUSED with a 550 and hangs up straight after (some servers do)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == REFUSED:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_refusal_the_server_hangs_up_after_is_still_a_refusal(port):
    sink = HangingUpSink()
    controller = server(sink, port)
    smtp = connection(port)
    try:
        # Not retried as a dropped connection (the RSET after it fails): a permanent refusal.
        with pytest.raises(DeliveryRejected, match="SMTP RCPT 550"):
            send(smtp, REFUSED)
        assert send(smtp).startswith("250")  # over a new connection
    finally:
        smtp.close()
        controller.stop()
    assert len(sink.messages) == 1
