"""The local runner's supervisor: restarts a process of `make up` that died, after a growing
delay (1 s, 2 s, 4 s ... up to 30 s; back to 1 s once it has stayed up a minute), as compose's
restart policy does, and logs each restart (`.run/<profile>/logs/supervisor.log`).

`make up` leaves it running, its pid in the stack's state file; `make down` stops it before
anything else; `make status` shows every process with its restarts. The test suite's stack is
not supervised: fault tests kill processes on purpose and restart them themselves
(`Stack.stop_process`, `start_worker`), and a supervisor would race them. A test that wants one
starts it on a stack of its own with `launch`.

    python -m tools.supervisor --profile dev     # what `make up` starts
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.devstack import (
    DEV,
    HTTP_SERVICES,
    ROOT,
    SCHEDULED,
    WORKERS,
    Profile,
    Stack,
    _alive,
    test_profile,
)

log = logging.getLogger("tools.supervisor")

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
STABLE_AFTER_S = 60.0  # up this long: the next crash waits FIRST_DELAY_S again
POLL_S = 0.5


def profile_named(name: str) -> Profile:
    """`dev`, `test` or `testN` (the test profile of slot N)."""
    if name == "dev":
        return DEV
    if name.startswith("test") and (name[4:] == "" or name[4:].isdigit()):
        return test_profile(int(name[4:] or 0))
    raise ValueError(f"no profile {name!r}")


def starter(stack: Stack, name: str) -> Callable[[], object] | None:
    """How the stack starts the process of this name again; None for one it did not start."""
    if name in HTTP_SERVICES:
        return lambda: stack.start_http(name)
    if name in SCHEDULED:  # the digest's loop
        return lambda: stack.start_scheduled(name)
    worker, _, copy = name.rpartition("-")
    if worker in WORKERS and copy.isdigit():
        return lambda: stack.start_worker(worker, int(copy))
    return {"mongo": stack.start_mongo, "s3": stack.start_s3, "smtp": stack.start_smtp}.get(name)


@dataclass
class Watched:
    pid: int
    started_at: float
    delay_s: float = FIRST_DELAY_S
    down_since: float | None = None


@dataclass
class Supervisor:
    stack: Stack
    clock: Callable[[], float] = time.monotonic
    watched: dict[str, Watched] = field(default_factory=dict)

    def check(self) -> None:
        """One pass: notes who died, restarts whoever has waited its delay."""
        now = self.clock()
        for name, pid in self.stack.recorded_processes().items():
            entry = self.watched.get(name)
            if entry is None or entry.pid != pid:  # new, or restarted by someone else
                entry = self.watched[name] = Watched(pid, now)
            if _alive(pid):
                if now - entry.started_at >= STABLE_AFTER_S:
                    entry.delay_s = FIRST_DELAY_S
                continue
            if entry.down_since is None:
                entry.down_since = now
                log.warning("%s (pid %d) is down; restarting it in %.0f s", name, pid,
                            entry.delay_s)
            if now - entry.down_since >= entry.delay_s:
                self._restart(name, entry, now)

    def _restart(self, name: str, entry: Watched, now: float) -> None:
        start = starter(self.stack, name)
        if start is None:
            return
        waited, entry.delay_s = entry.delay_s, min(entry.delay_s * 2, MAX_DELAY_S)
        try:
            start()
        except Exception:  # try again after the next, longer delay
            log.exception("restarting %s failed", name)
            entry.down_since = now
            return
        new_pid = self.stack.processes[name].pid
        count = self._count_restart(name)
        log.warning("restarted %s after %.0f s: pid %d -> %d (restart %d)", name, waited,
                    entry.pid, new_pid, count)
        self.watched[name] = Watched(new_pid, now, delay_s=entry.delay_s)

    def _count_restart(self, name: str) -> int:
        counted: list[int] = []

        def count(state: dict) -> None:
            restarts = state.setdefault("restarts", {})
            restarts[name] = restarts.get(name, 0) + 1
            counted.append(restarts[name])

        self.stack.update_state(count)
        return counted[0]

    def run(self, stop: threading.Event, poll_s: float = POLL_S) -> None:
        while not stop.is_set():
            self.check()
            stop.wait(poll_s)


def launch(stack: Stack) -> int:
    """Starts a supervisor of `stack` in the background (own session, so `make up` may exit);
    records its pid in the state file, where `Stack.down` finds it. Returns the pid."""
    logs = stack.run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "supervisor.log", "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.supervisor", "--profile", stack.profile.name,
             "--run-dir", str(stack.run_dir)],
            cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    stack.update_state(lambda state: state.update(supervisor=process.pid))
    return process.pid


def _port(stack: Stack, name: str) -> str:
    p = stack.profile
    if name in p.http_ports:
        internal = p.internal_ports.get(name)
        return f"{p.http_ports[name]}" + (f", {internal} internal" if internal else "")
    return {"mongo": str(p.mongo_port), "s3": str(p.s3_port), "smtp": str(p.smtp_port)}.get(
        name, "-")


def status_lines(stack: Stack) -> list[str]:
    state = stack.read_state()
    restarts = state.get("restarts", {})
    lines = [f"{'process':<24} {'pid':>8}  {'state':<5} {'restarts':>8}  port"]
    for name, pid in sorted(state.get("processes", {}).items()):
        up = "up" if _alive(pid) else "down"
        lines.append(f"{name:<24} {pid:>8}  {up:<5} {restarts.get(name, 0):>8}  "
                     f"{_port(stack, name)}")
    supervisor = state.get("supervisor")
    lines.append(f"{'supervisor':<24} {supervisor or '-':>8}  "
                 f"{'up' if supervisor and _alive(supervisor) else 'down':<5} {'':>8}  -")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Restart crashed processes of a local stack.")
    parser.add_argument("--profile", default="dev", help="dev, test or testN")
    parser.add_argument("--run-dir", help="the stack's folder (default .run/<profile>)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    profile = profile_named(args.profile)
    stack = Stack(profile, Path(args.run_dir) if args.run_dir else ROOT / ".run" / profile.name)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("supervising %s (%s)", stack.run_dir, profile.name)
    Supervisor(stack).run(stop)
    log.info("supervisor stopped")


if __name__ == "__main__":
    main()
