"""The webhook dispatcher process: makes every due webhook attempt, on its own schedule, so the
event consumer never waits for a slow or failing receiver.

    python -m services.notification.dispatcher

Makes up to `webhook_concurrency` attempts at once; any number of copies of the process may
run side by side. Stops cleanly on SIGTERM (attempts in hand finish).
"""

from __future__ import annotations

import logging
import signal
import threading

from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.logs import setup_logging
from services.notification.webhooks import Dispatcher

log = logging.getLogger(__name__)


def run(dispatcher: Dispatcher, stop: threading.Event) -> None:
    log.info("webhook dispatcher running (%d at once)", dispatcher.concurrency)
    while not stop.is_set():
        try:
            attempted = dispatcher.run_once()
        except Exception:  # MongoDB away for a moment: the loop must outlive it
            log.exception("dispatch pass failed")
            attempted = []
        if not attempted:
            stop.wait(dispatcher.settings.webhook_poll_interval_s)
    dispatcher.close()
    log.info("webhook dispatcher stopped")


def main() -> None:
    settings = Settings.from_env()
    setup_logging("webhook-dispatcher", settings.log_level, redact=True)
    metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run(Dispatcher.from_settings(settings), stop)


if __name__ == "__main__":
    main()
