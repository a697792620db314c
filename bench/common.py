"""What the benches share: where their figures go, percentiles, and a throwaway database."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def write_result(name: str, result: dict[str, Any], stamped: bool = False) -> Path:
    """Writes bench/results/`name`.json (`name`-<UTC time>.json when `stamped`, so that runs
    are kept side by side) and returns its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json" if stamped
                      else f"{name}.json")
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank `q`th percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_mongo(url: str | None) -> Iterator[str]:
    """Yields `url` when one is given (a real MongoDB, say); otherwise starts a SecantusDB of
    its own in a temporary folder, yields its URL, and stops and removes it afterwards."""
    if url:
        yield url
        return
    folder = tempfile.mkdtemp(prefix="aduan-bench-")
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "secantusd-py"), "--host", "127.0.0.1",
         "--port", str(port), "--storage-path", folder, "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("secantusd-py did not start") from None
                time.sleep(0.2)
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
