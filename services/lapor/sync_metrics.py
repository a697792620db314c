"""The follow-ups waiting to go to SP4N-LAPOR!, per city, as a Prometheus gauge read from
`lapor_sync` when scraped (the lapor service registers it): the exporter's counters say what
was sent, this says what is stuck, which is what an alert wants."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client.core import GaugeMetricFamily, Metric
from pymongo.database import Database

from aduan.infra.cached_collector import CachedCollector
from aduan.infra.catalogue import cities
from services.lapor.sync import SYNC


class LaporPendingCollector(CachedCollector):
    what = "LAPOR! sync state"

    def __init__(self, db: Database, ttl_s: float = 15,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(db, ttl_s, clock)

    def _empty(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
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
