"""SIGTERM/SIGINT set a process's stop event (from a thread of their own, not the handler)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from aduan.infra.shutdown import stop_on_signals


@pytest.fixture
def restored_handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_sets_the_stop_event(restored_handlers, sig):
    stop = stop_on_signals(threading.Event())
    assert not stop.is_set()
    os.kill(os.getpid(), sig)
    assert stop.wait(5)


def test_a_signal_while_the_main_thread_waits_on_the_event_ends_the_wait(restored_handlers):
    stop = stop_on_signals(threading.Event())
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
    assert stop.wait(10)  # the main thread is inside the event's wait when the signal lands
