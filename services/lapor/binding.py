"""Whether events reach the exporter's queue (consumer "lapor"): bound to every `report.*`
event while some city has SP4N-LAPOR! configured (a base URL and the city's token,
`adapter.connected_cities`), unbound otherwise. With the connector off, an event queued for
the exporter would only be read and dropped (2.2 ms of CPU and three queue deliveries per
report); now none is queued.

The exporter process decides it as it starts (`bind_events`), from its own settings, before it
consumes: publishers declare the queue but not its binding (`aduan.infra.messaging.CONSUMERS`),
so processes whose settings differ never undo each other. Switching LAPOR! on takes a restart
of the exporter (as any setting does); from then on the binding stays (a durable binding on a
durable queue) whether the exporter runs or not. Events of a report published while the
connector was off are not exported later by themselves: its next event, or `--catch-up`, sends
what waits (what the exporter did before too, which dropped them while off).
"""

from __future__ import annotations

import logging
import time

import pika.exceptions

from aduan.infra.config import Settings
from aduan.infra.messaging import connect, declare_topology, exchange_name, queue_name
from services.lapor.adapter import connected_cities

log = logging.getLogger(__name__)
CONSUMER = "lapor"
EVENTS = ("report.#",)
MAX_WAIT_S = 15.0  # between two tries while the broker cannot be reached


def bind_events(settings: Settings) -> bool:
    """Binds (LAPOR! on) or unbinds (off) the exporter's queue; whether it is bound. Tries
    until the broker answers, as the consumer does."""
    on = bool(connected_cities(settings))
    wait = 0.5
    while True:
        try:
            _apply(settings, on)
            log.info("LAPOR! exporter queue %s", "bound to report events" if on
                     else "unbound: no city has LAPOR! configured")
            return on
        except (pika.exceptions.AMQPError, OSError) as err:
            log.warning("broker not reachable (%s); binding again in %.1fs", err, wait)
            time.sleep(wait)
            wait = min(wait * 2, MAX_WAIT_S)


def _apply(settings: Settings, on: bool) -> None:
    connection = connect(settings)
    try:
        channel = connection.channel()
        declare_topology(channel, settings)
        queue, exchange = queue_name(settings, CONSUMER), exchange_name(settings)
        for key in EVENTS:
            if on:
                channel.queue_bind(queue, exchange, routing_key=key)
            else:  # unbinding what is not bound is no error
                channel.queue_unbind(queue, exchange, routing_key=key)
    finally:
        if connection.is_open:
            connection.close()
