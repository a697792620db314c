"""A broker that takes TCP connections but never answers the AMQP handshake (what RabbitMQ does
at its socket limit) is played here by a socket server of this test that accepts and stays
silent. pika then raises its connector's own exceptions, not AMQPError; every caller of
`messaging.connect` must still see "broker unreachable"."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pika.exceptions
import pytest

from aduan.infra.config import Settings
from aduan.infra.messaging import connect
from aduan.infra.queue_metrics import QueueStatsCollector
from tools.local_broker import ensure_answering, handshake_problem, is_rabbitmq_node


@pytest.fixture
def silent_broker() -> Iterator[tuple[str, int]]:
    """(host, port) of a server that accepts connections and never sends a byte. Bound to
    127.0.0.2: a loopback address that is not the one a local broker is restarted on."""
    server = socket.create_server(("127.0.0.2", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[:2]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _settings(host: str, port: int) -> Settings:
    return Settings(amqp_url=f"amqp://guest:guest@{host}:{port}/%2F?stack_timeout=1")


def test_connect_reports_a_silent_broker_as_an_amqp_connection_error(silent_broker):
    with pytest.raises(pika.exceptions.AMQPConnectionError, match="AMQPConnectorStackTimeout"):
        connect(_settings(*silent_broker))


def test_queue_statistics_of_a_silent_broker_are_reported_down_not_raised(silent_broker):
    collector = QueueStatsCollector(_settings(*silent_broker), ["routing"])
    families = {family.name: family for family in collector.collect()}
    assert [sample.value for sample in families["aduan_queue_stats_up"].samples] == [0]


def test_the_handshake_check_names_the_timeout(silent_broker):
    host, port = silent_broker
    problem = handshake_problem(f"amqp://guest:guest@{host}:{port}/", timeout_s=1)
    assert problem is not None and "Timeout" in problem


def test_a_silent_broker_elsewhere_is_refused_not_restarted(silent_broker):
    host, port = silent_broker
    with pytest.raises(RuntimeError, match="no AMQP handshake"):
        ensure_answering(f"amqp://guest:guest@{host}:{port}/", handshake_timeout_s=1)



def test_only_a_rabbitmq_node_counts_as_one_to_kill():
    # What a wedged node's port is checked against before its process is killed: this test
    # process (a Python listener, a tunnel, a proxy) is not one.
    assert not is_rabbitmq_node(os.getpid())
