"""deploy/prometheus: the config and rules pass promtool's checks, every alert is unit-tested
with `promtool test rules` and documented, and every expression reads metrics that exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from promql import RULES_FILE, known_metric_names, metric_names, run_promtool

from aduan.infra.config import Settings
from tools.devstack import DEV, HTTP_SERVICES, ROOT, WORKERS

PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULE_TESTS = PROMETHEUS / "tests" / "aduan_test.yml"
OPS_GUIDE = ROOT / "deploy" / "README.md"
WORKER_METRICS_PORT = 9100  # ADUAN_WORKER_METRICS_PORT in docker-compose.yml

# The alerts the platform must have (issue 7), by what they watch.
REQUIRED_ALERTS = {
    "AduanServiceDown",  # service down
    "AduanQueueBacklogGrowing",  # queue backlog growing
    "AduanParkingQueueNotEmpty",  # parking queue not empty
    "AduanGatewayLatencyHigh",  # gateway p95 latency high
    "AduanSlaBreachRateHigh",  # SLA breach rate high
    "AduanVerificationRejectingManyPhotos",  # verification rejecting unusually many photos
}


def _rules() -> list[dict]:
    groups = yaml.safe_load(RULES_FILE.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _alerts() -> dict[str, dict]:
    return {rule["alert"]: rule for rule in _rules() if "alert" in rule}


def test_config_passes_promtool_check() -> None:
    result = run_promtool("check", "config", CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr


def test_rules_pass_promtool_check() -> None:
    result = run_promtool("check", "rules", RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_unit_tests_pass() -> None:
    result = run_promtool("test", "rules", RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_wrong_expectation_fails_the_alert_unit_tests(tmp_path: Path) -> None:
    """The unit tests can fail: the same tests expecting the parked-message alert to stay
    silent do not pass."""
    tests = yaml.safe_load(RULE_TESTS.read_text())
    tests["rule_files"] = [str(RULES_FILE)]
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            if check["alertname"] == "AduanParkingQueueNotEmpty":
                check["exp_alerts"] = []
    broken = tmp_path / "broken_test.yml"
    broken.write_text(yaml.safe_dump(tests))
    result = run_promtool("test", "rules", broken)
    assert result.returncode != 0
    assert "AduanParkingQueueNotEmpty" in result.stdout + result.stderr


def test_the_required_alerts_exist() -> None:
    assert set(_alerts()) >= REQUIRED_ALERTS


def test_every_alert_fires_in_a_unit_test() -> None:
    tests = yaml.safe_load(RULE_TESTS.read_text())
    fired = {check["alertname"] for case in tests["tests"] for check in case["alert_rule_test"]
             if check.get("exp_alerts")}
    assert set(_alerts()) <= fired, f"never shown to fire: {sorted(set(_alerts()) - fired)}"


def test_every_alert_has_severity_and_text() -> None:
    for name, rule in _alerts().items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_every_alert_is_explained_in_the_ops_guide() -> None:
    guide = OPS_GUIDE.read_text()
    for name in _alerts():
        match = re.search(rf"^### `?{name}`?\n(.*?)(?=^#)", guide, re.M | re.S)
        assert match, f"deploy/README.md has no section for {name}"
        assert "What to do:" in " ".join(match.group(1).split()), f"{name}: no What to do"


def test_rule_expressions_read_only_exported_metrics() -> None:
    known = known_metric_names()
    for rule in _rules():
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: {sorted(unknown)}"


def test_every_service_and_worker_is_scraped() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    expected_ports = {**DEV.http_ports, "gateway": Settings().internal_port,  # not the public
                      **{name: WORKER_METRICS_PORT for name in WORKERS}}
    assert set(HTTP_SERVICES) | set(WORKERS) <= set(jobs)
    for name, port in expected_ports.items():
        (discovery,) = jobs[name]["dns_sd_configs"]
        assert discovery["names"] == [name] and discovery["port"] == port, name
    assert jobs["rabbitmq"]["static_configs"][0]["targets"] == ["rabbitmq:15692"]
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/detailed"
