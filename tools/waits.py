"""Waiting for local servers: one way for `make up`, the broker check and the benches."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate: Callable[[], object], timeout_s: float, what: str,
               every_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every_s)
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f}s")
