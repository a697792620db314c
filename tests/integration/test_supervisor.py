"""The local runner's supervisor (what `make up` leaves running) brings back a worker killed
with SIGKILL, after a growing delay, and `Stack.down` stops it before anything else.

It runs on a stack of its own (own folder and state file) holding one extra copy of the SLA
sweep, which joins the test platform like any other copy: the session's stack stays
unsupervised, so the fault tests that kill its processes on purpose are not raced."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from waiting import eventually

from tools import supervisor
from tools.devstack import Stack, _alive

pytestmark = pytest.mark.stack

WORKER = "routing-sweep-0"


@pytest.fixture
def supervised(stack: Stack) -> Iterator[Stack]:
    own = Stack(stack.profile, stack.run_dir.parent / f"{stack.profile.name}-supervised")
    own.down()  # whatever a crashed earlier run left behind
    (own.run_dir / "logs" / "supervisor.log").unlink(missing_ok=True)
    own.start_worker("routing-sweep")
    try:
        yield own
    finally:
        own.down()


def _restarted(stack: Stack, old_pid: int, count: int) -> int | None:
    pid = stack.recorded_processes().get(WORKER)
    restarts = supervisor.status_lines(stack)
    done = any(line.startswith(WORKER) and line.split()[3] == str(count) for line in restarts)
    return pid if pid and pid != old_pid and _alive(pid) and done else None


def test_a_worker_killed_with_sigkill_comes_back_after_a_growing_delay(supervised: Stack):
    supervisor_pid = supervisor.launch(supervised)
    first = supervised.recorded_processes()[WORKER]
    os.kill(first, signal.SIGKILL)
    second = eventually(lambda: _restarted(supervised, first, 1), 30, "the first restart")
    os.kill(second, signal.SIGKILL)
    third = eventually(lambda: _restarted(supervised, second, 2), 30, "the second restart")

    log = (supervised.run_dir / "logs" / "supervisor.log").read_text()
    assert f"restarted {WORKER} after 1 s: pid {first} -> {second} (restart 1)" in log
    assert f"restarted {WORKER} after 2 s: pid {second} -> {third} (restart 2)" in log
    [line] = [line for line in supervisor.status_lines(supervised) if line.startswith(WORKER)]
    assert line.split()[1:4] == [str(third), "up", "2"]

    supervised.down()
    assert not _alive(supervisor_pid) and not _alive(third)
    assert not supervised.state_file.exists()
