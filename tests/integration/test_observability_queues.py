"""The queue statistics collector against the real broker: depth and consumers per queue,
queues not declared yet, and a broker that does not answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pika
import pytest

from aduan.infra.config import Settings
from aduan.infra.messaging import connect, declare_topology, delete_topology, queue_name
from aduan.infra.queue_metrics import QueueStatsCollector

pytestmark = pytest.mark.stack


def _samples(collector: QueueStatsCollector) -> dict[tuple[str, ...], float]:
    values = {}
    for family in collector.collect():
        for sample in family.samples:
            key = (sample.name, sample.labels.get("queue", ""), sample.labels.get("kind", ""))
            values[key] = sample.value
    return values


@pytest.fixture
def own_namespace(settings: Settings) -> Iterator[Settings]:
    """A namespace of this test's own, so its queues hold only what the test puts there."""
    own = replace(settings, namespace=f"obs{uuid.uuid4().hex[:8]}")
    yield own
    delete_topology(own, {"routing": ()}, with_exchange=True)


def test_depth_and_consumers_of_each_queue(own_namespace: Settings) -> None:
    connection = connect(own_namespace)
    try:
        channel = connection.channel()
        declare_topology(channel, own_namespace, {"routing": ("report.verified",)})
        work = queue_name(own_namespace, "routing")
        for index in range(4):
            channel.basic_publish("", work, f'{{"n": {index}}}'.encode(),
                                  properties=pika.BasicProperties(delivery_mode=2))
        channel.basic_consume(f"{work}.parking", lambda *_: None)  # one consumer, no messages
        values = _samples(QueueStatsCollector(own_namespace, ["routing"]))
    finally:
        connection.close()
    assert values[("aduan_queue_messages", work, "work")] == 4
    assert values[("aduan_queue_consumers", work, "work")] == 0
    assert values[("aduan_queue_consumers", f"{work}.parking", "parking")] == 1
    assert values[("aduan_queue_messages", f"{work}.parking", "parking")] == 0
    retries = [key for key in values if key[0] == "aduan_queue_messages" and key[2] == "retry"]
    assert len(retries) == len(own_namespace.retry_delays_ms)
    assert values[("aduan_queue_stats_up", "", "")] == 1


def test_queues_not_declared_yet_count_as_empty(own_namespace: Settings) -> None:
    values = _samples(QueueStatsCollector(own_namespace, ["routing"]))
    work = queue_name(own_namespace, "routing")
    assert values[("aduan_queue_messages", work, "work")] == 0
    assert values[("aduan_queue_consumers", work, "work")] == 0
    assert values[("aduan_queue_stats_up", "", "")] == 1


def test_a_broker_that_does_not_answer_is_reported_not_raised(settings: Settings) -> None:
    unreachable = replace(settings, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    values = _samples(QueueStatsCollector(unreachable, ["routing"]))
    assert values[("aduan_queue_stats_up", "", "")] == 0
    assert not [key for key in values if key[0] == "aduan_queue_messages"]
