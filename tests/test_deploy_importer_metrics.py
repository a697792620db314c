"""The LAPOR! importer's loop runs in a container of its own under compose and Kubernetes
(`lapor-import`), where Prometheus scrapes it on ADUAN_WORKER_METRICS_PORT like a worker: it
must serve its import counters there itself, and stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import requests
from waiting import eventually

from tools.devstack import ROOT, SCHEDULED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_importer_loop_serves_its_metrics_on_the_worker_port(tmp_path) -> None:
    port = _free_port()
    _, module, arguments = SCHEDULED["lapor-import"]
    # LAPOR! off (no base URL): each pass has no city to import, so no server is needed.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "ADUAN_MONGO_URL": "mongodb://127.0.0.1:9",
           "ADUAN_WORKER_METRICS_PORT": str(port), "ADUAN_WORKER_METRICS_HOST": "127.0.0.1"}
    process = subprocess.Popen([sys.executable, "-m", module, *arguments], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    try:
        answer = eventually(lambda: _metrics(port), 30, "the importer's /metrics")
        assert answer.headers["Content-Type"].startswith("text/plain")
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    assert process.returncode == 0, output[-2000:]


def _metrics(port: int) -> requests.Response | None:
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    except requests.RequestException:
        return None
    return answer if answer.status_code == 200 else None
