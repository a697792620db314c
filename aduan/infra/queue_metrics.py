"""Queue depth and consumer count of a consuming service's queues, read from the broker when
/metrics is scraped (a passive queue declare answers both, no management plugin needed).

Each consuming service's HTTP app reports its own queues: the work queue, its delay (retry)
queues and its parking queue, so label values are bounded by the topology. Several copies of
a service report the same numbers: aggregate with max by (queue), not sum.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator

import pika.exceptions
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from aduan.infra.config import Settings
from aduan.infra.messaging import connect, parking_queue_name, queue_name, retry_queue_name

log = logging.getLogger(__name__)

LABELS = ["queue", "consumer", "kind"]


def consumer_queues(settings: Settings, consumer: str) -> list[tuple[str, str]]:
    """(queue name, kind) of one consumer's queues; kind is work, retry or parking."""
    queues = [(queue_name(settings, consumer), "work")]
    queues += [(retry_queue_name(settings, consumer, i), "retry")
               for i in range(len(settings.retry_delays_ms))]
    queues.append((parking_queue_name(settings, consumer), "parking"))
    return queues


class QueueStatsCollector(Collector):
    def __init__(self, settings: Settings, consumers: Iterable[str]) -> None:
        self.settings = settings
        self.queues = [(name, consumer, kind) for consumer in consumers
                       for name, kind in consumer_queues(settings, consumer)]

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        messages, consumers, up, duration = self._families()
        started = time.perf_counter()
        try:
            stats = self._read()
        except (pika.exceptions.AMQPError, OSError) as err:
            log.warning("queue statistics unavailable: %s", err)
            up.add_metric([], 0)
        else:
            for (name, consumer, kind), (ready, count) in stats.items():
                messages.add_metric([name, consumer, kind], ready)
                consumers.add_metric([name, consumer, kind], count)
            up.add_metric([], 1)
        duration.add_metric([], time.perf_counter() - started)
        yield from (messages, consumers, up, duration)

    def _families(self) -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily("aduan_queue_messages",
                              "Messages ready for delivery in a queue.", labels=LABELS),
            GaugeMetricFamily("aduan_queue_consumers",
                              "Consumers subscribed to a queue.", labels=LABELS),
            GaugeMetricFamily("aduan_queue_stats_up",
                              "1 when the broker answered the queue statistics query."),
            GaugeMetricFamily("aduan_queue_stats_duration_seconds",
                              "Time taken to read the queue statistics from the broker."),
        )

    def _read(self) -> dict[tuple[str, str, str], tuple[int, int]]:
        # A connection per scrape: an idle cached one would miss its heartbeats between scrapes.
        connection = connect(self.settings)
        try:
            stats = {}
            channel = connection.channel()
            for queue in self.queues:
                try:
                    ok = channel.queue_declare(queue[0], passive=True)
                except pika.exceptions.ChannelClosedByBroker as err:
                    if err.reply_code != 404:
                        raise
                    # Not declared yet (no publisher or consumer has run): nothing waits in it.
                    stats[queue] = (0, 0)
                    channel = connection.channel()
                    continue
                stats[queue] = (ok.method.message_count, ok.method.consumer_count)
            return stats
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                connection.close()
