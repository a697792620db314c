"""A process of the platform started beside the running test stack with settings of its own
(e.g. production-like ones), on this machine only; stopped by its own process id."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator

import requests
from waiting import eventually

from tools.devstack import ROOT, Stack, http_service_argv


@contextlib.contextmanager
def extra_process(stack: Stack, name: str, argv: list[str], settings: dict[str, str]
                  ) -> Iterator[subprocess.Popen]:
    """`settings` are ADUAN_* names without the prefix, laid over the stack's own: those the
    session put in this process's environment when it started the stack (asking the stack
    again could give other keys, e.g. after its generated secrets were made anew)."""
    folder = stack.run_dir / "extra" / name
    (folder / "metrics").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ) | {f"ADUAN_{k}": v for k, v in settings.items()}
    env |= {"PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}
    with open(folder / "process.log", "ab") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextlib.contextmanager
def extra_http_service(stack: Stack, service: str, port: int, settings: dict[str, str]
                       ) -> Iterator[str]:
    """One more copy of `service` on `port`, ready; yields its base URL."""
    argv = http_service_argv(service, port, name=f"aduan-{service}-extra")
    url = f"http://127.0.0.1:{port}"
    with extra_process(stack, f"{service}-{port}", argv, {"WEB_WORKERS": "1", **settings}):
        eventually(lambda: _ready(url), 60, f"the extra {service} service")
        yield url
