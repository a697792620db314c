"""A Prometheus collector that reads its gauges from the database when scraped, at most every
`ttl_s`, and answers from the last reading when the database fails (a scrape must not fail on
a database hiccup). Subclasses say what the gauges are (`_empty`) and how to fill them
(`_families`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from pymongo.database import Database

log = logging.getLogger(__name__)


class CachedCollector(Collector):
    what = "figures"  # named in the warning when they cannot be read

    def __init__(self, db: Database, ttl_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def _empty(self) -> Sequence[Metric]:
        """The gauges, without samples."""
        raise NotImplementedError

    def _families(self) -> list[Metric]:
        """The gauges, filled from the database."""
        raise NotImplementedError

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = self.clock()
            if self._cached is None or now - self._cached[0] >= self.ttl_s:
                try:
                    self._cached = (now, self._families())
                except Exception:
                    log.warning("%s for the metrics could not be read", self.what,
                                exc_info=True)
                    if self._cached is None:
                        return []
            return list(self._cached[1])

    def describe(self) -> Iterable[Metric]:
        return list(self._empty())
