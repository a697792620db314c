"""The real Prometheus server scrapes the running platform: every target is up, the submitted
reports counter moves by exactly the reports this test submits, stage durations and queue
statistics arrive, a worker's own metrics port is scraped, and every alert rule and dashboard
expression evaluates against the live data.

The machine's RabbitMQ has no Prometheus plugin here (it is shared, so it is left as it is);
queue depth comes from the services' own queue collector.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from photo_factory import fresh_padang_photo
from promql import RULES_FILE, for_prometheus
from stack_client import REPORT, submit, wait_for_status
from waiting import eventually

from aduan.infra.messaging import CONSUMERS
from tools.devstack import HTTP_SERVICES, ROOT, Stack

pytestmark = pytest.mark.stack

REPORTS = 3
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = answer.json()
        assert body["status"] == "success", f"{expr}: {body}"
        return body["data"]["result"]

    def scalar(self, expr: str) -> float | None:
        """The value of a one-series expression; None while there is no series."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_scrapes(self, count: int = 2) -> None:
        """Until every target has been scraped `count` more times."""
        def last_scrapes() -> dict[str, str]:
            targets = requests.get(f"{self.url}/api/v1/targets", timeout=10).json()
            return {t["scrapeUrl"]: t["lastScrape"] for t in targets["data"]["activeTargets"]}

        for _ in range(count):
            before = last_scrapes()
            eventually(lambda before=before: all(
                scraped != before.get(url) for url, scraped in last_scrapes().items()),
                15, "a fresh scrape of every target")


@pytest.fixture(scope="module")
def worker_metrics(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One more routing consumer, serving its own /metrics on a port of its own (as under
    compose or Kubernetes: its own metrics folder, shared with no HTTP service)."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("worker-metrics")
    env = {**os.environ, **stack.env(), "PYTHONPATH": str(ROOT),
           "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "ADUAN_WORKER_METRICS_PORT": str(port), "ADUAN_WORKER_METRICS_HOST": "127.0.0.1"}
    log = (stack.run_dir / "logs" / "routing-worker-metrics-port.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "services.routing.worker"], cwd=ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        eventually(lambda: _answers(f"http://127.0.0.1:{port}/metrics"), 30,
                   "the worker's /metrics")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def prometheus(stack: Stack, worker_metrics: int,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    folder = tmp_path_factory.mktemp("prometheus")
    jobs = [{"job_name": name,
             "static_configs": [{"targets": [f"127.0.0.1:{stack.profile.metrics_port(name)}"]}]}
            for name in HTTP_SERVICES]
    jobs.append({"job_name": "routing-worker",
                 "static_configs": [{"targets": [f"127.0.0.1:{worker_metrics}"]}]})
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                         "evaluation_interval": "1s"},
              "rule_files": [str(RULES_FILE)],
              "scrape_configs": jobs}
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    executable = "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else "prometheus"
    log = (folder / "prometheus.log").open("wb")
    try:
        process = subprocess.Popen(
            [executable, f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except FileNotFoundError:
        pytest.fail("prometheus is not installed; `make bootstrap` installs it (Debian package "
                    "prometheus).", pytrace=False)
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: process.poll() is not None or _answers(f"{url}/-/ready"), 60,
              "Prometheus ready")
        assert process.poll() is None, (folder / "prometheus.log").read_text()
        yield Prometheus(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def test_every_target_is_up(prometheus: Prometheus) -> None:
    expected = {*HTTP_SERVICES, "routing-worker"}

    def all_up() -> dict[str, float]:
        up = {r["metric"]["job"]: float(r["value"][1]) for r in prometheus.query("up")}
        return up if set(up) == expected and all(v == 1 for v in up.values()) else {}

    eventually(all_up, 30, "every target up")


def test_submitted_reports_counter_counts_exactly_the_reports_submitted(
        api: str, prometheus: Prometheus, worker_metrics: int) -> None:
    total = "sum(aduan_reports_submitted_total)"
    forwarded = 'sum(aduan_report_stage_duration_seconds_count{stage="submit_to_forward"})'
    handled = 'sum(aduan_messages_handled_total{queue=~".*[.]routing"})'
    prometheus.wait_scrapes()
    before = {expr: prometheus.scalar(expr) or 0.0 for expr in (total, forwarded, handled)}

    codes = []
    for _ in range(REPORTS):
        answer = submit(api, fresh_padang_photo(), {**REPORT, "category": "waste"})
        assert answer.status_code == 202, answer.text
        codes.append(answer.json()["code"])
    for code in codes:
        wait_for_status(api, code, {"forwarded"})

    eventually(lambda: prometheus.scalar(total) == before[total] + REPORTS, 30,
          f"{total} = {before[total]} + {REPORTS}")
    eventually(lambda: prometheus.scalar(forwarded) == before[forwarded] + REPORTS, 30,
          "submit_to_forward observed once per report")
    prometheus.wait_scrapes()
    assert prometheus.scalar(total) == before[total] + REPORTS  # and not one more
    assert prometheus.scalar(forwarded) == before[forwarded] + REPORTS
    assert (prometheus.scalar(handled) or 0.0) >= before[handled] + REPORTS
    # waste → DLH: the stage is labelled with the agency the reports went to.
    assert prometheus.scalar(
        'sum(aduan_report_stage_duration_seconds_count{stage="submit_to_forward",'
        ' agency="DLH"})') >= REPORTS


def test_queue_statistics_come_from_the_consuming_services(
        prometheus: Prometheus, settings: Any) -> None:
    prometheus.wait_scrapes()
    consumers = {r["metric"]["queue"]: float(r["value"][1]) for r in prometheus.query(
        'max by (queue) (aduan_queue_consumers{kind="work"})')}
    ns = settings.namespace
    assert set(consumers) == {f"{ns}.{consumer}" for consumer in CONSUMERS}
    assert consumers[f"{ns}.routing"] == 2  # the stack's routing worker and this test's
    assert all(consumers[f"{ns}.{consumer}"] >= 1 for consumer in CONSUMERS)
    parking = prometheus.query(f'aduan_queue_messages{{queue="{ns}.routing.parking"}}')
    assert [r["metric"]["kind"] for r in parking] == ["parking"]
    assert prometheus.scalar('min(aduan_queue_stats_up)') == 1


def test_alert_rules_evaluate_on_live_data(prometheus: Prometheus) -> None:
    def evaluated() -> list[dict[str, Any]]:
        groups = requests.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()
        rules = [rule for group in groups["data"]["groups"] for rule in group["rules"]]
        done = rules and all(not rule["lastEvaluation"].startswith("0001") for rule in rules)
        return rules if done else []

    rules = eventually(evaluated, 30, "every rule evaluated")
    expected = yaml.safe_load(RULES_FILE.read_text())["groups"]
    assert len(rules) == sum(len(group["rules"]) for group in expected)
    broken = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert not broken


@pytest.mark.parametrize("board", ["operations.json", "leadership.json"])
def test_dashboard_expressions_evaluate_on_live_data(prometheus: Prometheus, board: str) -> None:
    dashboard = json.loads((DASHBOARDS / board).read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            prometheus.query(for_prometheus(target["expr"]))  # asserts status == success
