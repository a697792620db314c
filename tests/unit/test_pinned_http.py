"""A webhook attempt connects to the address that was checked, whatever the name resolves to a
moment later (DNS rebinding). Everything stays on loopback: the receiver listens on 127.0.0.1,
the replaced resolver answers only loopback addresses, and a second look-up of the name by
anyone would fail."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from certificates import self_signed_certificate
from http_receiver import Receiver
from urllib3.exceptions import SSLError

from aduan.infra import pinned_http, public_addresses
from aduan.infra.config import Settings
from services.notification.webhook_targets import resolve_target

NAME = "hooks.rebinding.test"


def test_the_attempt_goes_to_the_checked_address_with_the_name_as_host_header(
        monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([["127.0.0.1"]])  # the check's look-up; a second one would move elsewhere
    monkeypatch.setattr(public_addresses, "_lookup",
                        lambda host, port: next(answers, ["127.0.0.2"]))
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        assert host != NAME, "the name was looked up again after the check"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    settings = replace(Settings(), webhook_private_hosts=NAME)
    with Receiver() as receiver:
        url = f"http://{NAME}:{receiver.port}/hook?k=1"
        target = resolve_target(settings, url)
        answer = pinned_http.post(target, url, b'{"x":1}', {"Content-Type": "application/json"},
                                  timeout_s=5)
    assert answer.status == 200
    [request] = receiver.received
    assert request.path == "/hook?k=1"
    assert request.headers["Host"] == f"{NAME}:{receiver.port}"
    assert request.body == b'{"x":1}'


class _Answer200(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_receiver(tmp_path):
    """An HTTPS server on 127.0.0.1 whose certificate names NAME only; yields (port, CA file,
    the server names clients asked for)."""
    certificate, key = self_signed_certificate(tmp_path, NAME)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    asked: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: asked.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer200)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], certificate, asked
    server.shutdown()
    server.server_close()


def test_https_to_the_checked_address_verifies_the_certificate_for_the_name(
        monkeypatch: pytest.MonkeyPatch, https_receiver) -> None:
    port, ca_file, asked = https_receiver
    monkeypatch.setattr(public_addresses, "_lookup", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(pinned_http, "CA_FILE", str(ca_file))
    settings = replace(Settings(), webhook_private_hosts=NAME)
    url = f"https://{NAME}:{port}/hook"
    answer = pinned_http.post(resolve_target(settings, url), url, b"{}", {}, timeout_s=5)
    assert answer.status == 200
    assert asked == [NAME]  # SNI carried the name, not the address


def test_https_to_a_receiver_whose_certificate_names_another_host_fails(
        monkeypatch: pytest.MonkeyPatch, https_receiver) -> None:
    port, ca_file, _ = https_receiver
    other = "other.rebinding.test"
    monkeypatch.setattr(public_addresses, "_lookup", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(pinned_http, "CA_FILE", str(ca_file))
    settings = replace(Settings(), webhook_private_hosts=other)
    url = f"https://{other}:{port}/hook"
    with pytest.raises(SSLError):
        pinned_http.post(resolve_target(settings, url), url, b"{}", {}, timeout_s=5)


class _Streaming(BaseHTTPRequestHandler):
    """Answers 201, then a body: endless and slow (`/trickle`), endless and fast (`/flood`),
    or `ok`."""

    def log_message(self, *_: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(201)
        if self.path == "/ok":
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        self.close_connection = True
        self.end_headers()
        try:
            for _ in range(10_000):
                self.wfile.write(b"x" if self.path == "/trickle" else b"x" * 65536)
                self.wfile.flush()
                if self.path == "/trickle":
                    threading.Event().wait(0.1)
        except OSError:
            pass


@pytest.mark.parametrize("path", ["/trickle", "/flood", "/ok"])
def test_a_post_with_a_body_cap_is_bounded_in_time_and_bytes(path: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Streaming)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        target = public_addresses.Target("http", "127.0.0.1", port, ("127.0.0.1",))
        started = time.monotonic()
        answer = pinned_http.post(target, f"http://127.0.0.1:{port}{path}", b"{}", {}, 1.0,
                                  4096)
        assert answer.status == 201
        assert time.monotonic() - started < 3  # the whole POST, not each read, is bounded
    finally:
        server.shutdown()
        server.server_close()
