"""The one messaging helper: topology, confirmed publishing and the consumer runner.

Topology (names prefixed by the namespace, `aduan` by default):
- `{ns}.events`: durable topic exchange every event is published to;
- `{ns}.{consumer}`: one durable quorum queue per consuming service, bound to its event keys;
- `{ns}.{consumer}.retry.{i}`: delay queues; a message waits there for `retry_delays_ms[i]`,
  then is dead-lettered back to the consumer's queue only (not to every consumer);
- `{ns}.{consumer}.parking`: messages that failed `max_attempts` times, for an operator to replay.
Every publisher and consumer declares the whole topology, so no event is ever unroutable
because the consumer that wants it has not started yet.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pika.adapters.utils.connection_workflow import AMQPConnectorException

from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.logs import request_id_var, setup_logging
from aduan.infra.shutdown import stop_on_signals
from aduan.web.errors import PermanentError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
ATTEMPTS_HEADER = "x-aduan-attempts"
ERROR_HEADER = "x-aduan-last-error"
HEARTBEAT_SERVICE_S = 1.0
STOP_CHECK_S = 0.5  # how soon a consumer notices it was asked to stop

# Which event keys each consuming service takes.
CONSUMERS: dict[str, tuple[str, ...]] = {
    "verification": ("report.submitted",),
    "routing": ("report.verified", "report.needs_review", "report.rejected"),
    "notification": ("report.#",),
    # SP4N-LAPOR!'s follow-ups and forwarded reports (services/lapor/exporter.py). Declared
    # here without a binding: the exporter binds its queue to `report.#` as it starts while
    # a city has LAPOR! configured, and unbinds it otherwise (no event is queued for nothing).
    "lapor": (),
}


def exchange_name(settings: Settings) -> str:
    return f"{settings.namespace}.events"


def queue_name(settings: Settings, consumer: str) -> str:
    return f"{settings.namespace}.{consumer}"


def retry_queue_name(settings: Settings, consumer: str, index: int) -> str:
    return f"{settings.namespace}.{consumer}.retry.{index}"


def parking_queue_name(settings: Settings, consumer: str) -> str:
    return f"{settings.namespace}.{consumer}.parking"


def all_queue_names(settings: Settings, consumers: dict[str, tuple[str, ...]]) -> list[str]:
    names = []
    for consumer in consumers:
        names.append(queue_name(settings, consumer))
        names.extend(
            retry_queue_name(settings, consumer, i) for i in range(len(settings.retry_delays_ms))
        )
        names.append(parking_queue_name(settings, consumer))
    return names


_QUORUM = {"x-queue-type": "quorum"}


def declare_topology(
    channel: BlockingChannel,
    settings: Settings,
    consumers: dict[str, tuple[str, ...]] = CONSUMERS,
) -> None:
    exchange = exchange_name(settings)
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    for consumer, keys in consumers.items():
        main = queue_name(settings, consumer)
        channel.queue_declare(main, durable=True, arguments=_QUORUM)
        for key in keys:
            channel.queue_bind(main, exchange, routing_key=key)
        for index, delay_ms in enumerate(settings.retry_delays_ms):
            channel.queue_declare(
                retry_queue_name(settings, consumer, index),
                durable=True,
                arguments={
                    **_QUORUM,
                    "x-message-ttl": delay_ms,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": main,
                    # At-least-once dead-lettering: a message is never dropped on its way back.
                    "x-dead-letter-strategy": "at-least-once",
                    "x-overflow": "reject-publish",
                },
            )
        channel.queue_declare(
            parking_queue_name(settings, consumer), durable=True, arguments=_QUORUM
        )


def delete_topology(settings: Settings, consumers: dict[str, tuple[str, ...]] = CONSUMERS,
                    with_exchange: bool = False) -> None:
    """Deletes the namespace's queues (and exchange): for test and bench namespaces only."""
    connection = connect(settings)
    try:
        channel = connection.channel()
        for name in all_queue_names(settings, consumers):
            channel.queue_delete(name)
        if with_exchange:
            channel.exchange_delete(exchange_name(settings))
    finally:
        connection.close()


def connect(settings: Settings) -> pika.BlockingConnection:
    params = pika.URLParameters(settings.amqp_url)
    params.heartbeat = 30
    params.blocked_connection_timeout = 30
    params.connection_attempts = 1
    params.socket_timeout = 5
    try:
        return pika.BlockingConnection(params)
    except AMQPConnectorException as err:
        # A broker that takes the TCP connection but not the handshake in time (one at its
        # socket limit, or overloaded) makes pika raise its connector's own exceptions, which
        # are not AMQPError: callers treat AMQPError as "the broker is unreachable".
        raise pika.exceptions.AMQPConnectionError(f"{type(err).__name__}: {err}") from err


@dataclass(frozen=True)
class Event:
    routing_key: str
    body: dict[str, Any]
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    correlation_id: str | None = None

    @property
    def type(self) -> str:
        return self.routing_key


def _properties(event: Event, headers: dict[str, Any] | None = None) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=event.message_id,
        correlation_id=event.correlation_id,
        type=event.type,
        timestamp=int(time.time()),
        headers={"schema_version": SCHEMA_VERSION, **(headers or {})},
    )


class Publisher:
    """Publishes with publisher confirms; thread-safe; reconnects on the next call after a failure.

    `publish` returns only once the broker has confirmed the message is stored (persistent, on a
    durable queue); it raises when it cannot, and the caller keeps the event in its outbox.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def _ensure_channel(self) -> BlockingChannel:
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection = connect(self.settings)
            channel = self._connection.channel()
            channel.confirm_delivery()
            declare_topology(channel, self.settings)
            self._channel = channel
        return self._channel

    def publish(self, event: Event) -> None:
        with self._lock:
            for attempt in (1, 2):
                try:
                    channel = self._ensure_channel()
                    channel.basic_publish(
                        exchange_name(self.settings),
                        event.routing_key,
                        json.dumps(event.body, default=str).encode(),
                        properties=_properties(event),
                        mandatory=True,
                    )
                    metrics.events_published.labels(event.routing_key).inc()
                    return
                except (pika.exceptions.AMQPError, OSError):
                    self.close()
                    if attempt == 2:
                        raise

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                connection.close()


@dataclass(frozen=True)
class Delivery:
    routing_key: str
    body: dict[str, Any]
    message_id: str | None
    correlation_id: str | None
    type: str | None
    attempts: int
    redelivered: bool = False  # the broker's flag: handed out before, maybe handled already
    replayed: bool = False  # a parked message an operator sent again (aduan/web/parking.py)


Handler = Callable[[Delivery], None]


@dataclass
class _InFlight:
    """A delivered message not settled yet: waiting behind its report's message in hand
    (`future` None), in the pool's queue, or being handled."""

    tag: int
    key: str  # its report: one of a report's messages is handled at a time
    delivery: Delivery
    method: Any
    properties: Any
    body: bytes
    started: list[float]  # the handler's start, once it starts
    future: Future[None] | None = None


@dataclass
class _Link:
    """One connection and its messages; touched in the connection's thread only."""

    connection: pika.BlockingConnection
    channel: BlockingChannel
    in_flight: dict[int, _InFlight] = field(default_factory=dict)  # by delivery tag
    # A report present has a message in hand; the deque holds its next ones, in order.
    behind: dict[str, deque[_InFlight]] = field(default_factory=dict)
    # Handlers still running from a lost connection, by report: its next messages wait.
    carried: dict[str, Future[None]] = field(default_factory=dict)
    draining: bool = False  # stopping or cancelled: waiting messages go back, none start


def report_key(body: dict[str, Any], message_id: str | None, tag: int) -> str:
    """The report a message is about: its messages are handled one at a time, in delivery
    order; a message of no report is its own."""
    report_id = body.get("report_id")
    return f"report:{report_id}" if report_id else f"message:{message_id or tag}"


class Consumer:
    """Runs a handler over one consuming service's queue, up to `consumer_concurrency` messages
    at once.

    - a message is acked only after its handler returned, i.e. after its effect is durable;
    - a failing message is re-published to a delay queue (growing delay) and acked, and after
      `max_attempts` failures (or at once for PermanentError) it goes to the parking queue;
    - handlers run in one pool of `consumer_concurrency` worker threads, one message of a
      report at a time: a message whose report has one in hand waits behind it (in this
      process, in delivery order) and is handed to the pool once that one is settled, so the
      events of one report are handled in delivery order, as with one thread, while any free
      thread takes the messages of other reports (no report waits behind another's);
    - the prefetch is at least twice the threads, so the messages waiting behind a slow
      report leave room in the window for other reports;
    - this thread alone touches the connection (pika is not thread-safe): it keeps servicing
      it (heartbeats, deliveries) and settles each message (ack, or re-publish then ack) when
      a worker hands it back through `add_callback_threadsafe`;
    - it reconnects with jittered exponential backoff; the messages of a lost connection (or
      channel) not started yet are dropped (the broker hands them out again), so none is
      handled once more for nothing; a report whose handler still runs from the lost
      connection has its redelivered messages wait for it;
    - when the broker cancels the consumer (its queue deleted), it settles what it holds and
      connects again after the backoff, declaring the topology anew;
    - it stops cleanly on SIGTERM/SIGINT: no new message is taken, the ones not started yet
      go back to the queue and the ones being handled are finished and settled first.
    """

    def __init__(self, settings: Settings, consumer: str, handler: Handler) -> None:
        if consumer not in CONSUMERS:
            raise ValueError(f"unknown consumer {consumer!r}")
        if settings.consumer_concurrency < 1:
            raise ValueError("consumer_concurrency must be at least 1")
        if settings.max_attempts > 1 and not settings.retry_delays_ms:
            raise ValueError("retry_delays_ms must name a delay when max_attempts is above 1")
        self.settings = settings
        self.consumer = consumer
        self.queue = queue_name(settings, consumer)
        self.handler = handler
        self.concurrency = settings.consumer_concurrency
        # Room for as many messages waiting behind reports in hand as there are threads, so
        # a backlog of one report does not fill the window and idle the other threads.
        self.prefetch = max(settings.prefetch, 2 * self.concurrency)
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency,
                                        thread_name_prefix=consumer)
        self._carried: dict[str, Future[None]] = {}  # in this (the connection's) thread
        self._subscribed = False  # the last connection reached basic_consume

    def stop(self, *_: object) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        stop_on_signals(self._stop)

    def run(self) -> None:
        metrics.serve_worker_metrics(self.settings.worker_metrics_host,
                                     self.settings.worker_metrics_port)
        backoff = 0.5
        while not self._stop.is_set():
            self._subscribed = False
            try:
                if not self._consume():
                    continue  # stopping
                reason = f"the broker cancelled consuming {self.queue}"
            except (pika.exceptions.AMQPError, OSError) as err:
                reason = f"broker connection lost ({err})"
            if self._subscribed:  # it worked until now: the next attempt may well too
                backoff = 0.5
            delay = backoff * (1 + random.random())
            log.warning("%s; reconnecting in %.1fs", reason, delay)
            self._stop.wait(delay)
            backoff = min(backoff * 2, 15.0)
        self._pool.shutdown(wait=True)
        log.info("consumer %s stopped", self.consumer)

    def _consume(self) -> bool:
        """Consumes until stopped (False) or cancelled by the broker (True); raises when the
        connection or the channel is lost."""
        connection = connect(self.settings)
        link: _Link | None = None
        cancelled = threading.Event()  # by the broker (Basic.Cancel)
        left_cleanly = False
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            declare_topology(channel, self.settings)
            channel.basic_qos(prefetch_count=self.prefetch)
            link = _Link(connection, channel)
            self._wait_for_carried(link)

            def on_message(_channel: BlockingChannel, method: Any, properties: Any,
                           body: bytes) -> None:
                self._start(link, method, properties, body)

            channel.add_on_cancel_callback(lambda _frame: cancelled.set())
            tag = channel.basic_consume(self.queue, on_message_callback=on_message)
            self._subscribed = True
            log.info("consuming %s (%d at once)", self.queue, self.concurrency)
            # A channel closed by the broker does not make process_data_events raise.
            while not self._stop.is_set() and not cancelled.is_set() and channel.is_open:
                connection.process_data_events(time_limit=STOP_CHECK_S)
            if not channel.is_open:
                raise pika.exceptions.ChannelWrongStateError("channel closed by the broker")
            # Stopping: no new deliveries (those received but not dispatched are nacked back
            # by pika), the ones not started go back too, the running ones are finished.
            if not cancelled.is_set():
                channel.basic_cancel(tag)
            self._hand_back(link)
            while link.in_flight:
                connection.process_data_events(time_limit=HEARTBEAT_SERVICE_S)
            left_cleanly = True
        finally:
            if link is not None:
                self._carry(link, left_cleanly)
                # What it held is the broker's again (in the queue's count).
                metrics.messages_in_hand.labels(self.queue).set(0)
            if connection.is_open:
                connection.close()
        return cancelled.is_set()

    def _carry(self, link: _Link, left_cleanly: bool) -> None:
        """Keeps, by report, the handlers still running as this connection ends. Lost, the
        unacked messages go back to the queue, so the ones not started must not run now
        (their acks could not be sent: handled twice)."""
        running = dict(link.carried)
        if not left_cleanly:
            for message in link.in_flight.values():
                if message.future is not None and not message.future.cancel():
                    running[message.key] = message.future
        self._carried = {key: future for key, future in running.items() if not future.done()}

    def _wait_for_carried(self, link: _Link) -> None:
        """A report whose handler still runs from a lost connection takes no new message
        until it ends (its own message, redelivered, would run twice at once)."""
        link.carried, self._carried = self._carried, {}
        for key, future in link.carried.items():
            link.behind[key] = deque()
            future.add_done_callback(partial(self._wake, link, key))

    def _wake(self, link: _Link, key: str, _: Future[None]) -> None:  # in any thread
        with contextlib.suppress(pika.exceptions.ConnectionWrongStateError):
            link.connection.add_callback_threadsafe(partial(self._next, link, key))

    def _start(self, link: _Link, method: Any, properties: Any, body: bytes) -> None:
        """Hands a delivered message to the pool, or queues it behind its report's message
        in hand (in this, the connection's thread)."""
        headers = properties.headers or {}
        try:
            attempts = _attempts(properties)
            if attempts is None:
                raise PermanentError(f"header {ATTEMPTS_HEADER} is not a whole number")
            delivery = Delivery(
                routing_key=headers.get("x-aduan-routing-key", method.routing_key),
                body=_decode(body),
                message_id=properties.message_id,
                correlation_id=properties.correlation_id,
                type=properties.type,
                attempts=attempts,
                redelivered=bool(getattr(method, "redelivered", False)),
                replayed=bool(headers.get("x-aduan-replayed")),
            )
        except PermanentError as err:
            self._settle(link.channel, method, properties, body, time.perf_counter(), err)
            return
        message = _InFlight(method.delivery_tag,
                            report_key(delivery.body, delivery.message_id, method.delivery_tag),
                            delivery, method, properties, body, [time.perf_counter()])
        link.in_flight[message.tag] = message
        self._count_in_hand(link)
        waiting = link.behind.get(message.key)
        if waiting is not None:
            waiting.append(message)
        else:
            link.behind[message.key] = deque()
            self._submit(link, message)

    def _count_in_hand(self, link: _Link) -> None:
        metrics.messages_in_hand.labels(self.queue).set(len(link.in_flight))

    def _submit(self, link: _Link, message: _InFlight) -> None:
        future = self._pool.submit(self._call, message.delivery, message.started)
        message.future = future

        def done(_: Future[None]) -> None:  # in the worker's thread
            if future.cancelled():
                return
            try:
                link.connection.add_callback_threadsafe(partial(self._finish, link, message))
            except pika.exceptions.ConnectionWrongStateError:
                # The connection was lost meanwhile: the broker hands the message out again.
                log.warning("message %s handled but not acked: connection closed",
                            message.properties.message_id)

        future.add_done_callback(done)

    def _finish(self, link: _Link, message: _InFlight) -> None:  # in the connection's thread
        if link.in_flight.pop(message.tag, None) is None:
            return  # handed back to the queue while stopping
        assert message.future is not None
        self._settle(link.channel, message.method, message.properties, message.body,
                     message.started[0], message.future.exception())
        self._count_in_hand(link)
        self._next(link, message.key)

    def _next(self, link: _Link, key: str) -> None:  # in the connection's thread
        """The report's message in hand is settled: its next one, if any, goes to the pool;
        while draining, its waiting ones go back to the queue, in order."""
        waiting = link.behind.get(key)
        if waiting is None:
            return
        if waiting and not link.draining:
            self._submit(link, waiting.popleft())
            return
        del link.behind[key]
        for message in waiting:
            del link.in_flight[message.tag]
            link.channel.basic_nack(message.tag, requeue=True)
        self._count_in_hand(link)

    def _hand_back(self, link: _Link) -> None:
        """Stopping or cancelled: the messages not started go back to the queue. Those of a
        report whose message is still running go back only once it is settled (`_next`), so
        that another consumer does not handle a report's next event before this one's ends."""
        link.draining = True
        for key in list(link.behind):
            carried = link.carried.get(key)
            if carried is not None and not carried.done():
                continue  # running since an earlier connection
            head = next((m for m in link.in_flight.values()
                         if m.key == key and m.future is not None), None)
            if head is not None and not head.future.cancel():
                continue  # running
            if head is not None:
                del link.in_flight[head.tag]
                link.channel.basic_nack(head.tag, requeue=True)
            self._next(link, key)

    def _call(self, delivery: Delivery, started: list[float]) -> None:
        started[0] = time.perf_counter()  # not counting the wait behind its report
        request_id_var.set(delivery.correlation_id)  # the worker thread's own context
        self.handler(delivery)

    def _settle(self, channel: BlockingChannel, method: Any, properties: Any, body: bytes,
                started: float, err: BaseException | None) -> None:
        """Acks a handled message, or first re-publishes it for a retry or to the parking
        queue; in the connection's thread only."""
        attempts = _attempts(properties) or 0  # a malformed count is parked, as a first
        request_id_var.set(properties.correlation_id)
        if err is None:
            outcome = "acked"
        elif isinstance(err, PermanentError):
            log.error("parking message %s: %s", properties.message_id, err)
            self._republish(channel, parking_queue_name(self.settings, self.consumer),
                            method, properties, body, attempts + 1, err)
            outcome = "parked"
        else:  # any failure of a handler is retried, then parked
            attempts += 1
            if attempts >= self.settings.max_attempts:
                log.error("parking message %s after %d attempts: %s",
                          properties.message_id, attempts, err, exc_info=err)
                target = parking_queue_name(self.settings, self.consumer)
                outcome = "parked"
            else:
                delays = self.settings.retry_delays_ms
                index = min(attempts - 1, len(delays) - 1)
                log.warning("retrying message %s (attempt %d) in %d ms: %s",
                            properties.message_id, attempts, delays[index], err)
                target = retry_queue_name(self.settings, self.consumer, index)
                outcome = "retried"
            self._republish(channel, target, method, properties, body, attempts, err)
        channel.basic_ack(method.delivery_tag)
        metrics.messages_handled.labels(self.queue, outcome).inc()
        metrics.message_handling_duration.labels(self.queue).observe(
            time.perf_counter() - started
        )

    def _republish(self, channel, queue, method, properties, body, attempts, err) -> None:
        headers = dict(properties.headers or {})
        headers[ATTEMPTS_HEADER] = attempts
        headers[ERROR_HEADER] = f"{type(err).__name__}: {err}"[:500]
        # Dead-lettering back from a delay queue loses the original key: keep it in a header.
        headers.setdefault("x-aduan-routing-key", method.routing_key)
        properties.headers = headers
        # Confirmed publish of the copy before the original is acked: nothing is ever dropped.
        channel.basic_publish("", queue, body, properties=properties, mandatory=True)


def _attempts(properties: Any) -> int | None:
    """The failed attempts a message carries (ATTEMPTS_HEADER, set by `_republish`); None when
    the header is not a whole number (another publisher's): such a message is parked, not
    left to crash every consumer it reaches."""
    value = (properties.headers or {}).get(ATTEMPTS_HEADER, 0)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _decode(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise PermanentError(f"message body is not JSON: {err}") from err
    if not isinstance(decoded, dict):
        raise PermanentError("message body is not a JSON object")
    return decoded


def run_consumer_process(consumer: str, make_handler: Callable[[Settings], Handler],
                         redact_logs: bool = False) -> None:
    """The main function of a consumer worker process: settings from the environment, the
    handler built once, then consume until SIGTERM/SIGINT."""
    settings = Settings.from_env()
    setup_logging(f"{consumer}-worker", settings.log_level, redact=redact_logs)
    runner = Consumer(settings, consumer, make_handler(settings))
    runner.install_signal_handlers()
    runner.run()
