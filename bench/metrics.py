"""Metrics benchmark: what observability costs. Starts a local stack (its own ports, data and
queues), submits a few reports so every series exists, then measures:

- each service's /metrics: response time (p50, p95, max over N sequential scrapes), body size
  and number of samples (the consuming services include the live queue statistics read);
- the queue statistics read itself (`aduan_queue_stats_duration_seconds`);
- the in-process cost of counting a status change and observing its stage duration.

Prints and writes bench/results/metrics-*.json.

    .venv/bin/python bench/metrics.py --scrapes 100
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from common import percentile, write_result  # noqa: E402
from photo_factory import fresh_padang_photo  # noqa: E402
from stack_client import submit, wait_for_status  # noqa: E402

from aduan.infra.report_metrics import observe_transition  # noqa: E402
from tools.devstack import HTTP_SERVICES, Stack, test_profile  # noqa: E402


def scrape_costs(stack: Stack, scrapes: int) -> dict[str, dict[str, float]]:
    costs = {}
    for service in HTTP_SERVICES:
        url = f"http://127.0.0.1:{stack.profile.metrics_port(service)}/metrics"
        times, body = [], ""
        for _ in range(scrapes):
            started = time.perf_counter()
            answer = requests.get(url, timeout=10)
            times.append(time.perf_counter() - started)
            answer.raise_for_status()
            body = answer.text
        samples = [line for line in body.splitlines() if line and not line.startswith("#")]
        queue_read = [float(line.split()[-1]) for line in samples
                      if line.startswith("aduan_queue_stats_duration_seconds")]
        costs[service] = {
            "scrape_ms_p50": round(percentile(times, 50) * 1000, 2),
            "scrape_ms_p95": round(percentile(times, 95) * 1000, 2),
            "scrape_ms_max": round(max(times) * 1000, 2),
            "body_kib": round(len(body.encode()) / 1024, 1),
            "samples": len(samples),
            **({"queue_stats_read_ms": round(queue_read[0] * 1000, 2)} if queue_read else {}),
        }
    return costs


def transition_cost(calls: int) -> float:
    """Microseconds to count one status change that completes a stage (the worst case)."""
    now = datetime.now(UTC)
    report = {"created_at": now - timedelta(hours=5), "agencies": [{"code": "DLH"}],
              "history": [{"to": "verifying", "at": now}, {"to": "verified", "at": now},
                          {"to": "forwarded", "at": now}]}
    started = time.perf_counter()
    for _ in range(calls):
        observe_transition(report, "forwarded", now)
    return round((time.perf_counter() - started) / calls * 1e6, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--slot", type=int, default=9, help="test-profile slot for the stack")
    args = parser.parse_args()

    stack = Stack(test_profile(args.slot), ROOT / ".run" / "bench-metrics")
    stack.down()
    os.environ.update(stack.env())
    try:
        stack.up()
        api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
        codes = [submit(api, fresh_padang_photo()).json()["code"] for _ in range(args.reports)]
        for code in codes:
            wait_for_status(api, code, {"forwarded"}, timeout_s=60)
        costs = scrape_costs(stack, args.scrapes)
    finally:
        stack.down()

    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cores": os.cpu_count()},
        "reports": args.reports,
        "scrapes_per_service": args.scrapes,
        "metrics_endpoint": costs,
        "observe_transition_us": transition_cost(20_000),
    }
    path = write_result("metrics", result, stamped=True)
    print(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
