"""The webhook dispatcher process: makes every due webhook attempt, on its own schedule, so the
event consumer never waits for a slow or failing receiver.

    python -m services.notification.dispatcher

Runs `webhook_concurrency` threads, each taking one due delivery at a time; any number of
copies of the process may run side by side. Stops cleanly on SIGTERM (attempts in hand finish).
"""

from __future__ import annotations

import logging
import signal
import threading

from aduan.config import Settings
from aduan.db import get_db
from aduan.logs import setup_logging
from services.notification.webhooks import Dispatcher

log = logging.getLogger(__name__)


def _loop(dispatcher: Dispatcher, stop: threading.Event, idle_wait_s: float) -> None:
    while not stop.is_set():
        try:
            result = dispatcher.run_once()
        except Exception:  # MongoDB away for a moment: the loop must outlive it
            log.exception("dispatch pass failed")
            result = None
        if result is None:
            stop.wait(idle_wait_s)


def run(settings: Settings, stop: threading.Event) -> None:
    db = get_db(settings)
    threads = [
        threading.Thread(target=_loop, name=f"webhooks-{i}",
                         args=(Dispatcher(settings, db), stop, settings.webhook_poll_interval_s))
        for i in range(max(1, settings.webhook_concurrency))
    ]
    for thread in threads:
        thread.start()
    log.info("webhook dispatcher running (%d threads)", len(threads))
    for thread in threads:
        thread.join()
    log.info("webhook dispatcher stopped")


def main() -> None:
    settings = Settings.from_env()
    setup_logging("webhook-dispatcher", settings.log_level, redact=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run(settings, stop)


if __name__ == "__main__":
    main()
