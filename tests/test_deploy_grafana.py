"""deploy/grafana: provisioning, and dashboards whose every expression parses and reads only
metrics the platform exports (aduan/infra/metrics.py, the queue collector, Prometheus, RabbitMQ)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from promql import check_expressions_parse, known_metric_names, metric_names

from aduan.infra import metrics
from tools.devstack import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("build_dashboards",
                                                  GRAFANA / "build_dashboards.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _boards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def _targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in board["panels"] for target in panel.get("targets", [])]


def _expressions(board: dict[str, Any]) -> list[str]:
    return [target["expr"] for target in _targets(board)]


def test_dashboards_are_what_the_builder_writes() -> None:
    builder = _builder()
    expected = {name: builder.render(board) for name, board in builder.dashboards().items()}
    actual = {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}
    assert actual == expected, "run .venv/bin/python deploy/grafana/build_dashboards.py"


def test_datasource_is_provisioned_with_the_uid_the_dashboards_use() -> None:
    provisioning = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = provisioning["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    for board in _boards().values():
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}


def test_dashboard_provider_reads_the_mounted_folder() -> None:
    provider = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "aduan.yml").read_text())["providers"][0]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert provider["type"] == "file"
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in compose
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in compose


def test_dashboards_are_well_formed() -> None:
    boards = _boards()
    assert set(boards) == {"operations.json", "leadership.json"}
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for name, board in boards.items():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, (name, panel["title"])
            if panel["type"] == "row":
                continue
            assert panel["targets"], (name, panel["title"])
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids)), (name, panel["title"])


@pytest.mark.parametrize("name", ["operations.json", "leadership.json"])
def test_every_expression_reads_only_exported_metrics(name: str) -> None:
    known = known_metric_names()
    for expr in _expressions(_boards()[name]):
        names = metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        assert names <= known, f"unknown metrics {sorted(names - known)} in {expr!r}"


def test_a_misspelt_metric_is_caught() -> None:
    expr = 'sum by (queue) (rate(aduan_mesages_handled_total{queue="x"}[$__rate_interval]))'
    assert metric_names(expr) == {"aduan_mesages_handled_total"}
    assert not metric_names(expr) <= known_metric_names()


@pytest.mark.parametrize("name", ["operations.json", "leadership.json"])
def test_every_expression_parses(name: str, tmp_path: Path) -> None:
    check_expressions_parse(_expressions(_boards()[name]), tmp_path)


def test_an_unparsable_expression_is_caught(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        check_expressions_parse(["sum by (queue (aduan_queue_messages)"], tmp_path)


def test_bucket_bounds_used_by_panels_exist() -> None:
    bounds = {repr(float(b)) for b in metrics.STAGE_BUCKETS}
    for board in _boards().values():
        for expr in _expressions(board):
            for used in re.findall(r'le="([^"]+)"', expr):
                assert used in bounds, f"{used} is not a bucket bound of the stage histogram"


def test_operations_covers_queues_latency_errors_and_consumers() -> None:
    exprs = " ".join(_expressions(_boards()["operations.json"]))
    for needle in ("aduan_queue_messages", "aduan_queue_consumers", "aduan_messages_handled_total",
                   "aduan_http_request_duration_seconds_bucket", 'status=~"5.."', "up"):
        assert needle in exprs, needle


def test_leadership_covers_stages_response_times_and_sla() -> None:
    board = _boards()["leadership.json"]
    exprs = " ".join(_expressions(board))
    for stage in ("submit_to_forward", "forward_to_accept", "accept_to_resolve"):
        assert f'stage="{stage}"' in exprs
    assert "aduan_report_transitions_total" in exprs
    assert "aduan_sla_breaches_total" in exprs
    for ratings in ("aduan_report_rating_average", "aduan_report_ratings",
                    "aduan_report_rating_share_rated"):
        assert ratings in exprs, ratings
    assert [v["name"] for v in board["templating"]["list"]] == ["agency"]
