"""How long the leaders' figures and the working-day arithmetic take.

Prints the figures and writes them to bench/results/routing_stats.json. The stats are computed
exactly from every report's history, so their cost grows with the number of reports in the
range: this measures a year of a large city's reports, far beyond the ~5 a day the cities see.

    .venv/bin/python bench/routing_stats.py [--reports 20000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import write_result  # noqa: E402

from aduan.domain.figures import Statistician  # noqa: E402
from aduan.infra.calendar import WorkCalendar  # noqa: E402
from aduan.infra.config import Settings  # noqa: E402
from aduan.infra.deadlines import Deadlines  # noqa: E402

AGENCIES = ["DLH", "PUPR", "DISHUB", "SATPOLPP", "DINKES", "DISDIK", "KEC-137106"]


def synthetic_report(index: int, start: datetime, rng: random.Random) -> dict:
    created = start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
    history = [{"at": created, "from": None, "to": "submitted", "actor": {}},
               {"at": created + timedelta(minutes=1), "from": "submitted", "to": "verifying"},
               {"at": created + timedelta(minutes=2), "from": "verifying", "to": "verified"}]
    agencies = rng.sample(AGENCIES, rng.choice((1, 1, 1, 2)))
    at = created + timedelta(hours=rng.uniform(0.1, 96))
    history.append({"at": at, "from": "verified", "to": "forwarded", "action": "forward",
                    "agencies": agencies})
    status = "forwarded"
    for code in agencies:
        for action, sub in (("accept", "accepted"), ("start", "in_progress"),
                            ("resolve", "resolved")):
            if rng.random() < 0.15:
                break
            at += timedelta(hours=rng.uniform(0.5, 80))
            history.append({"at": at, "from": status, "to": sub, "action": action,
                            "agency": code, "agency_to": sub})
            status = sub
    return {"_id": f"r{index}", "city": "padang", "category": "waste", "channel": "app",
            "status": status, "created_at": created, "history": history,
            "agencies": [{"code": c, "status": status} for c in agencies],
            "kecamatan": {"name": "Lubuk Begalung"}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(5)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    reports = [synthetic_report(i, start, rng) for i in range(args.reports)]
    deadlines = Deadlines(Settings(), WorkCalendar())
    statistician = Statistician(deadlines, {"waste": {"code": "waste"}}, "Asia/Jakarta")
    now = datetime(2026, 1, 15, tzinfo=UTC)

    runs = []
    for _ in range(3):
        began = time.perf_counter()
        statistician.compute(reports, now, "month")
        runs.append(time.perf_counter() - began)
    stats_s = statistics.median(runs)

    calendar = WorkCalendar()
    samples = [start + timedelta(hours=rng.uniform(0, 24 * 730)) for _ in range(20_000)]
    calendar.add_working_days(samples[0], 5, "Asia/Jakarta")  # fill the holiday table first
    began = time.perf_counter()
    for moment in samples:
        calendar.add_working_days(moment, 5, "Asia/Jakarta")
    deadline_us = (time.perf_counter() - began) / len(samples) * 1e6

    result = {
        "reports": args.reports,
        "stats_seconds_median_of_3": round(stats_s, 3),
        "stats_reports_per_second": round(args.reports / stats_s),
        "five_working_day_deadline_microseconds": round(deadline_us, 1),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    out = write_result("routing_stats", result)
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
