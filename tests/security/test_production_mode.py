"""A city's IT team deploys with a secret left at what the repository ships: every process
refuses to start, naming the variable. Each entry point is started as compose and Kubernetes
start it (gunicorn with the shared config, `python -m` for the rest), with ADUAN_ENV=production
and nothing else of ours in its environment, so every secret is at its shipped default."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aduan.infra import secret_policy
from aduan.infra.config import Settings
from tools.devstack import HTTP_SERVICES, ROOT, WORKERS, http_service_argv

GOOD_SECRETS = {
    "ADUAN_JWT_SECRET": "5a" * 32,
    "ADUAN_TOKEN_SECRET": "6b" * 32,
    "ADUAN_DELIVERY_HASH_SECRET": "9f" * 32,
    "ADUAN_S3_SECRET_KEY": "7c" * 16,
    "ADUAN_AMQP_URL": f"amqp://aduan:{'8d' * 16}@127.0.0.1:1/%2F",
}
ENTRY_POINTS = {
    **{service: http_service_argv(service, 0) for service in HTTP_SERVICES},
    **{name: [sys.executable, "-m", module] for name, (_, module) in WORKERS.items()},
    "digest": [sys.executable, "-m", "services.notification.digest"],
}


def _start(argv: list[str], tmp_path, **settings: str) -> subprocess.CompletedProcess:
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "ADUAN_ENV": "production",
               **settings}
    return subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120, check=False, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_a_deployment_left_with_the_shipped_secrets_does_not_start(entry_point, tmp_path):
    started = _start(ENTRY_POINTS[entry_point], tmp_path)
    assert started.returncode != 0
    refusals = [line for line in started.stderr.splitlines() if "refusing to start" in line]
    named = {line.split(": ")[-1].split()[0] for line in refusals}
    assert {"ADUAN_JWT_SECRET", "ADUAN_TOKEN_SECRET", "ADUAN_DELIVERY_HASH_SECRET",
            "ADUAN_S3_SECRET_KEY", "ADUAN_AMQP_URL"} <= named, started.stderr[-3000:]


@pytest.mark.parametrize("entry_point", ["gateway", "notification-worker"])
def test_one_shipped_key_among_good_ones_is_named_alone(entry_point, tmp_path):
    started = _start(ENTRY_POINTS[entry_point], tmp_path, **{
        **GOOD_SECRETS, "ADUAN_JWT_SECRET": "dev-only-jwt-secret-change-me-in-production"})
    assert started.returncode != 0
    refusals = [line for line in started.stderr.splitlines() if "refusing to start" in line]
    assert len(refusals) == 1 and "ADUAN_JWT_SECRET holds a value shipped" in refusals[0], (
        started.stderr[-3000:])


@pytest.mark.parametrize("subject, refused", [
    (None, True),  # the default, mailto:admin@aduan.local
    ("mailto:aduan@example.go.id", True),  # deploy/k8s/config.yaml's example
    ("mailto:ops@kota.example.com", True),
    ("https://aduan.local/kontak", True),
    ("admin@padang.go.id", True),  # not a mailto: or https: contact
    ("http://padang.go.id/kontak", True),
    ("mailto:pengaduan@padang.go.id", False),
    ("https://aduan.padang.go.id/kontak", False),
])
def test_push_on_with_a_default_or_example_vapid_subject_does_not_start(
        subject: str | None, refused: bool, tmp_path):
    from services.notification.vapid_keys import generate
    private, public = generate()
    vapid = {"ADUAN_VAPID_PRIVATE_KEY": private, "ADUAN_VAPID_PUBLIC_KEY": public}
    if subject is not None:
        vapid["ADUAN_VAPID_SUBJECT"] = subject
    if refused:
        started = _start(ENTRY_POINTS["notification-worker"], tmp_path, **GOOD_SECRETS,
                         **vapid)
        refusals = [line for line in started.stderr.splitlines()
                    if "refusing to start" in line]
        assert started.returncode != 0
        assert len(refusals) == 1 and "ADUAN_VAPID_SUBJECT" in refusals[0], (
            started.stderr[-3000:])
    else:  # a process let through would run on (looking for its broker): the policy itself
        environ = {**GOOD_SECRETS, **vapid, "ADUAN_ENV": "production"}
        with pytest.MonkeyPatch.context() as patch:
            for name, value in environ.items():
                patch.setenv(name, value)
            settings = Settings.from_env()
        assert secret_policy.problems(settings, environ) == []
