"""Gunicorn settings of every HTTP service (`gunicorn -c python:aduan.infra.gunicorn_conf`)."""

import os

from aduan.infra.config import Settings
from aduan.infra.metrics import mark_process_dead

workers = int(os.environ.get("ADUAN_WEB_WORKERS", "2"))
threads = int(os.environ.get("ADUAN_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = None
errorlog = "-"
loglevel = "warning"


def child_exit(server, worker) -> None:
    mark_process_dead(worker.pid)


def on_starting(server) -> None:
    # In the master, before any worker forks: a refused start ends gunicorn itself (a worker
    # that exits is only replaced by the next one).
    Settings.from_env()
