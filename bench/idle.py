"""CPU of the whole platform doing nothing: every process of a local stack (the same one
bench/load.py starts, with production's poll intervals), no request and no report, for T
seconds. What a quiet city's deployment burns anyway, and the share of the per-report CPU
figures of a slow load run that is not per report at all.

Prints and writes bench/results/idle.json: CPU ms per second of each process (1000 = a core).

    .venv/bin/python bench/idle.py [--seconds 30] [--slot 12]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from common import write_result  # noqa: E402
from load import PRODUCTION_TIMINGS, cpu_seconds, end_to_end, run_clients  # noqa: E402
from photo_factory import varied_padang_photos  # noqa: E402

from aduan.infra.config import Settings  # noqa: E402
from tools.devstack import WORKERS, Stack, test_profile  # noqa: E402


def by_process(before: dict[str, float], after: dict[str, float], seconds: float
               ) -> dict[str, float]:
    """CPU ms per second of wall time, by process name (copies of one name added up)."""
    result: dict[str, float] = {}
    for key, used in after.items():
        name = key.split(" ", 1)[1]
        result[name] = result.get(name, 0.0) + (used - before.get(key, used)) * 1000 / seconds
    return {name: round(ms, 1) for name, ms in sorted(result.items(), key=lambda kv: -kv[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--slot", type=int, default=12)
    args = parser.parse_args()

    profile = test_profile(args.slot)
    stack = Stack(profile, ROOT / ".run" / f"idle{args.slot}",
                  worker_copies=dict.fromkeys(WORKERS, 1))
    stack.overrides = {**PRODUCTION_TIMINGS, **stack.overrides}
    stack.down()
    os.environ.update(stack.env())
    try:
        stack.up()
        api = f"http://127.0.0.1:{profile.http_ports['gateway']}/api/v1"
        run_clients(api, 2, 2, varied_padang_photos(4))  # every process has done its start-up
        end_to_end(Settings.from_env(), [], 60)
        pids = [p.pid for p in stack.processes.values()]
        before = cpu_seconds(pids)
        started = time.monotonic()
        time.sleep(args.seconds)  # the measurement itself: nothing asked of the platform
        idle = by_process(before, cpu_seconds(pids), time.monotonic() - started)
    finally:
        stack.down()
    result = {"when": datetime.now(UTC).isoformat(), "seconds": args.seconds,
              "cpu_ms_per_s": idle, "total_ms_per_s": round(sum(idle.values()), 1)}
    for name, ms in idle.items():
        print(f"{ms:8.1f} ms/s  {name}")
    print(f"{result['total_ms_per_s']:8.1f} ms/s  in all")
    print(f"written to {write_result('idle', result)}")


if __name__ == "__main__":
    main()
