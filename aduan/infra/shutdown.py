"""SIGTERM and SIGINT for a long-running process: one way, used by every loop and consumer."""

from __future__ import annotations

import signal
import threading


def stop_on_signals(stop: threading.Event) -> threading.Event:
    """Sets `stop` on SIGTERM or SIGINT; returns it. The event is set from a short thread, not
    in the handler: a handler runs in the main thread, which may hold the event's own lock at
    that moment (inside its wait), and setting it there could wait on itself forever."""

    def handle(*_: object) -> None:
        threading.Thread(target=stop.set, daemon=True).start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
