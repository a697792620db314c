"""A RabbitMQ node that takes TCP connections but completes no AMQP handshake (seen on this
machine: a whole CI run failed against one) is restarted by `make up` and the test suite
(`tools.local_broker.ensure_answering`), and killed first when it does not stop when asked.

The node here is one of its own (own name, port and data), hung with SIGSTOP: the kernel still
accepts connections on its port, nothing answers them, as with a node at its socket limit."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.devstack import ROOT, PrivateBroker
from tools.local_broker import (
    BrokerRefused,
    ensure_answering,
    handshake_problem,
    is_rabbitmq_node,
    listening_pid,
)

# One per run, clear of test_broker_restart's nodes (5820 + slot).
OWN_PORT = 5700 + int(os.environ.get("ADUAN_TEST_SLOT", "0") or 0)


@pytest.fixture
def broker() -> Iterator[PrivateBroker]:
    node = PrivateBroker(f"aduanwedged{OWN_PORT}", OWN_PORT,
                         ROOT / ".run" / f"wedged-broker{OWN_PORT}" / "rabbitmq")
    node.start(fresh=True)
    try:
        yield node
    finally:
        node.stop()


def test_a_hung_broker_is_killed_started_again_and_answers(broker):
    hung = listening_pid(broker.port)
    assert hung is not None and is_rabbitmq_node(hung)
    os.kill(hung, signal.SIGSTOP)
    try:
        assert handshake_problem(broker.amqp_url, timeout_s=3) is not None

        said: list[str] = []
        started_here = ensure_answering(broker.amqp_url, env=broker.env(), log=said.append,
                                        handshake_timeout_s=3)

        assert started_here is False  # it was running: whoever started it stops it
        assert any("no AMQP handshake" in line for line in said), said
        assert any(f"killing process {hung}" in line for line in said), said
        assert handshake_problem(broker.amqp_url, timeout_s=10) is None
        assert listening_pid(broker.port) not in (None, hung)
    finally:
        if _stopped(hung):  # still our SIGSTOPped node, not a process that took its pid since
            os.kill(hung, signal.SIGKILL)


def _stopped(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    return False


def test_an_answering_broker_is_left_as_it_is(broker):
    running = listening_pid(broker.port)
    said: list[str] = []

    assert ensure_answering(broker.amqp_url, env=broker.env(), log=said.append) is False

    assert said == [] and listening_pid(broker.port) == running


def test_a_refusing_broker_is_not_restarted(broker):
    running = listening_pid(broker.port)
    said: list[str] = []
    no_such_host = broker.amqp_url.rsplit("/", 1)[0] + "/no-such-vhost"

    with pytest.raises(BrokerRefused, match=r"NOT_ALLOWED|no-such-vhost"):
        ensure_answering(no_such_host, env=broker.env(), log=said.append)

    assert said == [] and listening_pid(broker.port) == running
