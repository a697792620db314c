"""A webhook attempt connects to the address that was checked, whatever the name resolves to a
moment later (DNS rebinding). Everything stays on loopback: the receiver listens on 127.0.0.1,
the replaced resolver answers only loopback addresses, and a second look-up of the name by
anyone would fail."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from http_receiver import Receiver

from aduan.config import Settings
from services.notification import pinned_http, webhook_targets
from services.notification.webhook_targets import resolve_target

NAME = "hooks.rebinding.test"


def test_the_attempt_goes_to_the_checked_address_with_the_name_as_host_header(
        monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([["127.0.0.1"]])  # the check's look-up; a second one would move elsewhere
    monkeypatch.setattr(webhook_targets, "_lookup",
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
