"""PromQL helpers for the deploy tests: which metric names an expression reads, which names the
platform exports, and Grafana's variables replaced so that promtool or Prometheus can parse it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.queue_metrics import QueueStatsCollector
from aduan.infra.rating_metrics import RatingsCollector
from services.lapor.sync_metrics import LaporPendingCollector
from tools.devstack import ROOT

RULES_FILE = ROOT / "deploy" / "prometheus" / "rules" / "aduan.yml"

# Series Prometheus itself makes for every target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# RabbitMQ's exporter (rabbitmq_prometheus plugin), the series the dashboards use.
BROKER_METRICS = {
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_consumers",
}
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
             "group_right", "bool", "offset", "inf", "nan", "atan2"}
# Grafana's variables, as they might be set when a dashboard is viewed.
GRAFANA_VALUES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1d",
                  "$agency": ".*"}


def exported_metric_names() -> set[str]:
    """Every sample name the Aduan processes can expose (aduan/infra/metrics.py, collectors)."""
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            names.update(value._name + suffix for suffix in _SUFFIXES[value._type])
    for family in [*QueueStatsCollector(Settings(), []).describe(),
                   *RatingsCollector(None).describe(),  # type: ignore[arg-type]
                   *LaporPendingCollector(None).describe()]:  # type: ignore[arg-type]
        names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return names


def recording_rule_names() -> set[str]:
    rules = yaml.safe_load(RULES_FILE.read_text())
    return {rule["record"] for group in rules["groups"] for rule in group["rules"]
            if "record" in rule}


def known_metric_names() -> set[str]:
    return exported_metric_names() | PROMETHEUS_SERIES | BROKER_METRICS | recording_rule_names()


def metric_names(expr: str) -> set[str]:
    """Names of the series an expression selects (not functions, keywords, labels or
    durations). Good for the expressions this project writes: no `__name__` matchers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges, subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables left outside brackets
    tokens = re.findall(r"(?<![\w:.])([A-Za-z_:][\w:]*+)(?!\s*\()", text)
    return {token for token in tokens if token.lower() not in _KEYWORDS}


def for_prometheus(expr: str) -> str:
    for variable, value in sorted(GRAFANA_VALUES.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(variable, value)
    return expr


def promtool() -> str:
    executable = shutil.which("promtool")
    if executable is None:
        pytest.fail("promtool is not on PATH; `make bootstrap` installs it (Debian package "
                    "prometheus).", pytrace=False)
    return executable


def run_promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False)


def check_expressions_parse(expressions: list[str], folder: Path) -> None:
    """Lets promtool parse each expression, as a recording rule of a throwaway rules file."""
    rules = {"groups": [{"name": "parse", "rules": [
        {"record": f"parse:expression_{i}", "expr": for_prometheus(expr)}
        for i, expr in enumerate(expressions)
    ]}]}
    path = folder / "expressions.yml"
    path.write_text(yaml.safe_dump(rules))
    result = run_promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
