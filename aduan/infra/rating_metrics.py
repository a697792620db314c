"""The reporters' ratings as Prometheus gauges, for Grafana (which reads Prometheus only).

Read from the database when scraped (at most every `ttl_s`; the routing service registers
it), over the reports that came in during the last 30 days, as the statistics API's default
range: the figures are `aduan.domain.figures.RatingTable`'s, so Grafana and `GET /stats` agree.
Labels are bounded: the served cities, the catalogue's agency codes (`other` beyond them,
`none` for a rating no agency earned) and the scores 1..5. Every copy of the routing service
exports the same values: dashboards take `max` over instances.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from pymongo.database import Database

from aduan.domain.figures import SCORES, RatingTable, rated_agencies
from aduan.infra import figures as queries
from aduan.infra.cached_collector import CachedCollector
from aduan.infra.catalogue import cities
from aduan.infra.report_metrics import agency_label

WINDOW = timedelta(days=30)


def ratings_by_city(db: Database, now: datetime) -> dict[str, RatingTable]:
    tables = {}
    for city in sorted(cities()):
        table = RatingTable()
        for report in queries.reports_for_ratings(db, city, now - WINDOW):
            labels = sorted({agency_label(code) for code in rated_agencies(report)})
            table.add(report, "window", labels)
        tables[city] = table
    return tables


class RatingsCollector(CachedCollector):
    what = "ratings"

    def __init__(self, db: Database, ttl_s: float = 300,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(db, ttl_s, clock)

    def _empty(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        counts = GaugeMetricFamily(
            "aduan_report_ratings",
            "Reporters' ratings by score (1-5) of the reports that came in during the last 30 "
            "days, per city and agency.", labels=["city", "agency", "score"])
        average = GaugeMetricFamily(
            "aduan_report_rating_average",
            "Average rating (1-5) of the reports that came in during the last 30 days.",
            labels=["city", "agency"])
        share = GaugeMetricFamily(
            "aduan_report_rating_share_rated",
            "Share (0-1) of the reports that could be rated (resolved or closed) that were "
            "rated, of those that came in during the last 30 days.", labels=["city", "agency"])
        return counts, average, share

    def _families(self) -> list[Metric]:
        counts, average, share = self._empty()
        for city, table in ratings_by_city(self.db, datetime.now(UTC)).items():
            for agency, ratings in sorted(table.along("agency").items()):
                figures = ratings.figures()
                for score in SCORES:
                    counts.add_metric([city, agency, str(score)],
                                      figures["distribution"][str(score)])
                if figures["average"] is not None:
                    average.add_metric([city, agency], figures["average"])
                if figures["share_rated_pct"] is not None:
                    share.add_metric([city, agency], figures["share_rated_pct"] / 100)
        return [counts, average, share]
