"""The follow-ups waiting to go to SP4N-LAPOR!, per city, as a Prometheus gauge read from
`lapor_sync` when scraped (the lapor service registers it): the exporter's counters say what
was sent, this says what is stuck, which is what an alert wants."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo.database import Database

from aduan.infra.catalogue import cities
from services.lapor.sync import SYNC

log = logging.getLogger(__name__)


class LaporPendingCollector(Collector):
    def __init__(self, db: Database, ttl_s: float = 15,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    @staticmethod
    def _empty() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (GaugeMetricFamily("aduan_lapor_pending",
                                  "Follow-ups waiting to be sent to SP4N-LAPOR!, by city.",
                                  labels=["city"]),
                GaugeMetricFamily("aduan_lapor_reports_failing",
                                  "Reports linked to SP4N-LAPOR! whose last send failed, "
                                  "by city.", labels=["city"]))

    def _families(self) -> list[Metric]:
        pending, failing = self._empty()
        totals = {city: 0 for city in cities()}
        errors = {city: 0 for city in cities()}
        for doc in self.db[SYNC].find(
                {"$or": [{"pending": {"$gt": 0}}, {"last_error": {"$ne": None}}]},
                {"city": 1, "pending": 1, "last_error": 1}):
            city = doc.get("city")
            if city in totals:
                totals[city] += int(doc.get("pending") or 0)
                errors[city] += 1 if doc.get("last_error") else 0
        for city in sorted(totals):
            pending.add_metric([city], totals[city])
            failing.add_metric([city], errors[city])
        return [pending, failing]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = self.clock()
            if self._cached is None or now - self._cached[0] >= self.ttl_s:
                try:
                    self._cached = (now, self._families())
                except Exception:  # a scrape must not fail on a database hiccup
                    log.warning("LAPOR! sync state for the metrics could not be read",
                                exc_info=True)
                    if self._cached is None:
                        return []
            return list(self._cached[1])

    def describe(self) -> Iterable[Metric]:
        return list(self._empty())
