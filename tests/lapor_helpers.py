"""Helpers for the SP4N-LAPOR! connector's tests: the stack's lapor-worker pointed at the
suite's LAPOR! double (tests/lapor_double.py), the importer run in the test process against
the real intake and database, and the connector's metrics as the lapor service serves them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pika
import requests
from lapor_double import LaporDouble
from stack_client import scraped
from waiting import eventually

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from services.lapor.adapter import iso
from services.lapor.importer import Importer

TOKENS = {"tok-padang-19": "padang", "tok-jambi-19": "jambi"}
# Short enough for the tests to see a slow LAPOR! time out and a killed worker's lease run
# out without waiting a minute; the retry ladder of the test stack is 200/400/800 ms.
CONNECTOR = {"LAPOR_TIMEOUT_S": "1", "LAPOR_LEASE_S": "2", "LAPOR_PAGE_SIZE": "2"}


_LAST = [datetime.now(UTC).replace(microsecond=0)]


def stamp(seconds: int = 0) -> str:
    """An update time after every earlier one of this run (each city's cursor only moves
    forward, so a test's reports must be newer than the last test's)."""
    moment = max(datetime.now(UTC).replace(microsecond=0), _LAST[0] + timedelta(seconds=1))
    _LAST[0] = moment + timedelta(seconds=seconds)
    return iso(_LAST[0])


def tracking() -> str:
    return f"T{uuid.uuid4().hex[:10].upper()}"


def lapor_worker(stack) -> str:
    [worker] = [name for name in stack.processes if name.startswith("lapor-worker")]
    return worker


def restart_lapor_worker(stack) -> None:
    """Restarted, and back once it consumes: it binds (LAPOR! on) or unbinds its queue before
    (services/lapor/binding.py), so an event published from then on is queued for it or not."""
    stack.stop_process(lapor_worker(stack))
    stack.start_worker("lapor-worker")
    env = stack.env()
    queue = f"{env['ADUAN_NAMESPACE']}.lapor"

    def consuming() -> bool:
        connection = pika.BlockingConnection(pika.URLParameters(env["ADUAN_AMQP_URL"]))
        try:
            return connection.channel().queue_declare(queue, passive=True
                                                      ).method.consumer_count > 0
        finally:
            connection.close()

    eventually(consuming, 60, "the lapor-worker consuming again", every_s=0.2)


@contextmanager
def lapor_connected(stack, double: LaporDouble, tokens: str | None = None
                    ) -> Iterator[LaporDouble]:
    """The stack's lapor-worker restarted to talk to `double` (with each city's token);
    restored afterwards."""
    overrides = {"LAPOR_BASE_URL": double.url,
                 "LAPOR_TOKENS": tokens or ",".join(f"{c}={t}" for t, c in TOKENS.items()),
                 **CONNECTOR}
    stack.overrides.update(overrides)
    restart_lapor_worker(stack)
    try:
        yield double
    finally:
        for key in overrides:
            stack.overrides.pop(key)
        restart_lapor_worker(stack)


def restart_lapor_service(stack) -> None:
    """The lapor HTTP service again, with the stack's settings as they are now."""
    stack.stop_process("lapor")
    stack.start_http("lapor")
    port = stack.profile.http_ports["lapor"]

    def ready() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    eventually(ready, 60, "the lapor service ready again", every_s=0.2)


@contextmanager
def lapor_service_connected(stack, double: LaporDouble) -> Iterator[LaporDouble]:
    """`lapor_connected`, and the lapor HTTP service restarted with the same settings (its
    status page says whether the connector is on); both restored afterwards."""
    try:
        with lapor_connected(stack, double):
            restart_lapor_service(stack)
            yield double
    finally:
        restart_lapor_service(stack)


def connector_settings(settings: Settings, double: LaporDouble, **changes) -> Settings:
    values = {"lapor_base_url": double.url, "lapor_timeout_s": 1.0, "lapor_page_size": 2,
              "lapor_tokens": ",".join(f"{c}={t}" for t, c in TOKENS.items()), **changes}
    return replace(settings, **values)


def importer(settings: Settings, double: LaporDouble, **changes) -> Importer:
    connected = connector_settings(settings, double, **changes)
    return Importer(connected, get_db(connected))


def metric(stack, name: str, **labels: str) -> float:
    """A counter of the lapor processes (the HTTP service and its worker share one registry
    folder, served on the service's /metrics); 0 when not counted yet."""
    port = stack.profile.http_ports["lapor"]
    return sum((sample.value for sample in scraped(f"http://127.0.0.1:{port}")
                if sample.name == name
                and all(sample.labels.get(k) == v for k, v in labels.items())), 0.0)
