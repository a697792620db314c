"""The webhook dispatcher process: makes every due webhook attempt, on its own schedule, so the
event consumer never waits for a slow or failing receiver.

    python -m services.notification.dispatcher

Makes up to `webhook_concurrency` attempts at once; any number of copies of the process may
run side by side. Stops cleanly on SIGTERM (attempts in hand finish).

While it finds deliveries it looks again at once; after a look that found none it waits
`webhook_poll_interval_s` (1 s), and each further empty look doubles the wait, up to
IDLE_FACTOR times the interval (5 s): a delivery that falls due while the dispatcher has
been idle waits up to 5 s for its attempt (was 1 s; the retries' own delays are 10 s and
more), and an idle dispatcher costs one look-up every 5 s, not one a second (`idle_wait`).
"""

from __future__ import annotations

import logging
import threading

from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.logs import setup_logging
from aduan.infra.shutdown import stop_on_signals
from services.notification.webhooks import Dispatcher

log = logging.getLogger(__name__)


# An idle dispatcher's wait grows to this many poll intervals.
IDLE_FACTOR = 5


def idle_wait(empty_looks: int, poll_s: float) -> float:
    """The wait after `empty_looks` (1 or more) looks in a row that found nothing due: the
    poll interval, doubled with each further one, up to IDLE_FACTOR times it."""
    return poll_s * min(IDLE_FACTOR, 2 ** min(empty_looks - 1, 16))


def run(dispatcher: Dispatcher, stop: threading.Event) -> None:
    log.info("webhook dispatcher running (%d at once)", dispatcher.concurrency)
    empty_looks = 0
    while not stop.is_set():
        try:
            attempted = dispatcher.run_once()
        except Exception:  # MongoDB away for a moment: the loop must outlive it
            log.exception("dispatch pass failed")
            attempted = []
        if attempted:
            empty_looks = 0
            continue
        empty_looks += 1
        stop.wait(idle_wait(empty_looks, dispatcher.settings.webhook_poll_interval_s))
    dispatcher.close()
    log.info("webhook dispatcher stopped")


def main() -> None:
    settings = Settings.from_env()
    setup_logging("webhook-dispatcher", settings.log_level, redact=True)
    metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    stop = stop_on_signals(threading.Event())
    run(Dispatcher.from_settings(settings), stop)


if __name__ == "__main__":
    main()
