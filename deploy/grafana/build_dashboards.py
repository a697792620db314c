"""Writes the Grafana dashboards (deploy/grafana/dashboards/*.json) from the panel lists below.

    .venv/bin/python deploy/grafana/build_dashboards.py

Edit this file, not the JSON: tests/test_deploy_grafana.py checks the JSON is what this file
writes and that every expression names only metrics the platform exports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "$__rate_interval"
AGENCY = 'agency=~"$agency"'
DAY_S = 86400


@dataclass(frozen=True)
class Panel:
    title: str
    targets: list[tuple[str, str]]  # (PromQL, legend)
    kind: str = "timeseries"  # timeseries | stat | bargauge | table
    unit: str = "short"
    description: str = ""
    width: int = 12
    height: int = 8
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    title: str
    panels: list[Panel]


def le(seconds: int) -> str:
    """A bucket bound as prometheus_client writes it (`432000.0`)."""
    return f"{float(seconds)!r}"


def stage_quantile(q: float, stage: str) -> str:
    return (f"histogram_quantile({q}, sum by (agency, le) (increase("
            f'aduan_report_stage_duration_seconds_bucket{{stage="{stage}", {AGENCY}}}'
            "[$__range])))")


def share_within(stage: str, seconds: int) -> str:
    selector = f'stage="{stage}", {AGENCY}'
    return (f"sum by (agency) (increase(aduan_report_stage_duration_seconds_bucket"
            f'{{{selector}, le="{le(seconds)}"}}[$__range])) / sum by (agency) (increase('
            f"aduan_report_stage_duration_seconds_count{{{selector}}}[$__range]))")


OPERATIONS = [
    Row("Queues", [
        Panel("Messages waiting per work queue",
              [('max by (queue) (aduan_queue_messages{kind="work"})', "{{queue}}")],
              description="Ready messages, as the consuming service reads them from the broker. "
                          "Growing = add consumer copies (deploy/README.md, Scaling)."),
        Panel("Consumers per work queue",
              [('max by (queue) (aduan_queue_consumers{kind="work"})', "{{queue}}")],
              description="Subscribed consumer copies; 0 means nothing handles that queue."),
        Panel("Retry and parking queues",
              [('max by (queue) (aduan_queue_messages{kind=~"retry|parking"})', "{{queue}}")],
              description="Parked messages wait for an operator "
                          "(alert AduanParkingQueueNotEmpty)."),
        Panel("Messages handled per second, by outcome",
              [(f"sum by (queue, outcome) (rate(aduan_messages_handled_total[{RATE}]))",
                "{{queue}} {{outcome}}")],
              unit="ops"),
        Panel("Message handling time p95",
              [("histogram_quantile(0.95, sum by (queue, le) "
                f"(rate(aduan_message_handling_duration_seconds_bucket[{RATE}])))", "{{queue}}")],
              unit="s"),
        Panel("Broker: ready and unacknowledged messages",
              [("sum by (queue) (rabbitmq_detailed_queue_messages_ready)", "{{queue}} ready"),
               ("sum by (queue) (rabbitmq_detailed_queue_messages_unacked)",
                "{{queue}} unacked")],
              description="From RabbitMQ's own exporter (compose: job rabbitmq-queues)."),
    ]),
    Row("HTTP", [
        Panel("Requests per second by service",
              [(f"sum by (service) (rate(aduan_http_request_duration_seconds_count[{RATE}]))",
                "{{service}}")],
              unit="reqps"),
        Panel("Latency p95 by service",
              [("histogram_quantile(0.95, sum by (service, le) "
                f"(rate(aduan_http_request_duration_seconds_bucket[{RATE}])))", "{{service}}")],
              unit="s"),
        Panel("Gateway latency p95 by route",
              [("histogram_quantile(0.95, sum by (route, le) (rate("
                'aduan_http_request_duration_seconds_bucket{service="gateway"}'
                f"[{RATE}])))", "{{route}}")],
              unit="s"),
        Panel("Errors: share of 5xx and 4xx responses",
              [("sum by (service) (rate(aduan_http_request_duration_seconds_count"
                f'{{status=~"5.."}}[{RATE}])) / sum by (service) '
                f"(rate(aduan_http_request_duration_seconds_count[{RATE}]))",
                "{{service}} 5xx"),
               ("sum by (service) (rate(aduan_http_request_duration_seconds_count"
                f'{{status=~"4.."}}[{RATE}])) / sum by (service) '
                f"(rate(aduan_http_request_duration_seconds_count[{RATE}]))",
                "{{service}} 4xx")],
              unit="percentunit"),
        Panel("Requests in flight",
              [("sum by (service) (aduan_http_requests_in_flight)", "{{service}}")]),
        Panel("Targets up",
              [("sum by (job) (up)", "{{job}} up"),
               ("count by (job) (up == 0)", "{{job}} down")],
              description="Copies answering /metrics, per job (alert AduanServiceDown)."),
    ]),
    Row("Events and outcomes", [
        Panel("Events published per second",
              [(f"sum by (routing_key) (rate(aduan_events_published_total[{RATE}]))",
                "{{routing_key}}")],
              unit="ops"),
        Panel("Notifications by channel and result",
              [(f"sum by (channel, result) (rate(aduan_notifications_total[{RATE}]))",
                "{{channel}} {{result}}")],
              unit="ops"),
        Panel("Verification verdicts",
              [(f"sum by (verdict) (rate(aduan_verification_verdicts_total[{RATE}]))",
                "{{verdict}}")],
              unit="ops"),
        Panel("Verification findings by reason",
              [(f"sum by (reason) (rate(aduan_verification_reasons_total[{RATE}]))",
                "{{reason}}")],
              unit="ops"),
        Panel("Queue statistics readable",
              [("min by (job) (aduan_queue_stats_up)", "{{job}}"),
               ("max by (job) (aduan_queue_stats_duration_seconds)", "{{job}} read time")],
              description="1 when the consuming services can read their queues' depth."),
    ]),
    Row("SP4N-LAPOR!", [
        Panel("Imported and sent per hour, by city",
              [("sum by (city) (increase(aduan_lapor_imported_total[1h]))", "{{city}} imported"),
               ("sum by (city, kind) (increase(aduan_lapor_exported_total[1h]))",
                "{{city}} sent {{kind}}")],
              description="Reports imported from LAPOR!; follow-ups (status, response, comment) "
                          "and forwarded reports sent there."),
        Panel("Failed LAPOR! calls per hour",
              [("sum by (city, direction, reason) "
                "(increase(aduan_lapor_failures_total[1h]))",
                "{{city}} {{direction}} {{reason}}")],
              description="Alerts AduanLaporTokenRefused, AduanLaporFailuresHigh."),
        Panel("Follow-ups waiting, reports failing",
              [("max by (city) (aduan_lapor_pending)", "{{city}} waiting"),
               ("max by (city) (aduan_lapor_reports_failing)", "{{city}} reports failing")],
              description="Read from lapor_sync by the lapor service (alert "
                          "AduanLaporExportLagging)."),
        Panel("Export lag p90",
              [("histogram_quantile(0.9, sum by (city, le) "
                f"(rate(aduan_lapor_export_lag_seconds_bucket[{RATE}])))", "{{city}}")],
              unit="s",
              description="From a change in Aduan to its follow-up accepted by LAPOR!."),
    ]),
    Row("WhatsApp and SMS", [
        Panel("Residents' messages and reports filed",
              [(f"sum by (kind) (rate(aduan_whatsapp_messages_total[{RATE}]))", "{{kind}}"),
               (f"sum by (result) (rate(aduan_whatsapp_reports_total[{RATE}]))",
                "reports {{result}}")],
              unit="ops"),
        Panel("Messages to residents, by result",
              [(f"sum by (result) (rate(aduan_whatsapp_replies_total[{RATE}]))",
                "bot {{result}}"),
               ("sum by (result) (rate(aduan_notifications_total"
                f'{{channel="whatsapp"}}[{RATE}]))', "status {{result}}")],
              unit="ops",
              description="Alert AduanWhatsAppMessagesFailing."),
        Panel("Residents' SMS, by what became of them",
              [(f"sum by (result) (rate(aduan_sms_inbound_total[{RATE}]))", "{{result}}")],
              unit="ops",
              description="filed, commented, stopped, started, incomplete, help; refused; "
                          "unavailable (intake down: the provider delivers again)."),
        Panel("SMS to residents, by result",
              [("sum by (result) (rate(aduan_notifications_total"
                f'{{channel="sms"}}[{RATE}]))', "{{result}}")],
              unit="ops"),
    ]),
]

LEADERSHIP = [
    Row("Reports", [
        Panel("Reports received in the period",
              [("sum(increase(aduan_reports_submitted_total[$__range]))", "reports")],
              kind="stat", width=6),
        Panel("Reports received per day, by city",
              [("sum by (city) (increase(aduan_reports_submitted_total[1d]))", "{{city}}")],
              width=18),
        Panel("Reports reaching each stage in the period, by agency",
              [("sum by (status, agency) (increase("
                f"aduan_report_transitions_total{{{AGENCY}}}[$__range]))",
                "{{agency}} {{status}}")],
              kind="bargauge", width=24, height=10,
              description="Status changes counted per agency (a report forwarded to two "
                          "agencies counts for each); `none` = not yet forwarded."),
    ]),
    Row("Response time per agency", [
        Panel("Forwarded to accepted: median and 90th percentile",
              [(stage_quantile(0.5, "forward_to_accept"), "{{agency}} median"),
               (stage_quantile(0.9, "forward_to_accept"), "{{agency}} p90")],
              kind="bargauge", unit="s",
              description="How long agencies take to accept a forwarded report."),
        Panel("Accepted to resolved: median and 90th percentile",
              [(stage_quantile(0.5, "accept_to_resolve"), "{{agency}} median"),
               (stage_quantile(0.9, "accept_to_resolve"), "{{agency}} p90")],
              kind="bargauge", unit="s"),
        Panel("Submitted to forwarded: median and 90th percentile",
              [(stage_quantile(0.5, "submit_to_forward"), "{{agency}} median"),
               (stage_quantile(0.9, "submit_to_forward"), "{{agency}} p90")],
              kind="bargauge", unit="s",
              description="Verification and the operators' triage, per receiving agency."),
        Panel("Forward-to-accept p90 over time",
              [("histogram_quantile(0.9, sum by (agency, le) (rate("
                "aduan_report_stage_duration_seconds_bucket"
                f'{{stage="forward_to_accept", {AGENCY}}}[1d])))', "{{agency}}")],
              unit="s"),
    ]),
    Row("SLA compliance", [
        Panel("Forwarded within 3 days",
              [(share_within("submit_to_forward", 3 * DAY_S), "{{agency}}")],
              kind="bargauge", unit="percentunit",
              description="Share of reports forwarded within 3 calendar days of submission "
                          "(SP4N-LAPOR!: 3 working days)."),
        Panel("Accepted within 5 days of forwarding",
              [(share_within("forward_to_accept", 5 * DAY_S), "{{agency}}")],
              kind="bargauge", unit="percentunit",
              description="Share of forwarded reports the agency accepted within 5 calendar "
                          "days (SP4N-LAPOR!: follow-up within 5 working days)."),
        Panel("SLA breaches in the period, by kind",
              [("sum by (kind) (increase(aduan_sla_breaches_total[$__range]))", "{{kind}}")],
              kind="stat", width=8,
              description="Deadlines in working days missed, as the routing service counts "
                          "them (report.sla_breached)."),
        Panel("SLA breaches per day",
              [("sum by (kind) (increase(aduan_sla_breaches_total[1d]))", "{{kind}}")],
              width=16),
        Panel("Verification verdicts in the period",
              [("sum by (verdict) (increase(aduan_verification_verdicts_total[$__range]))",
                "{{verdict}}")],
              kind="bargauge", width=24, height=6),
    ]),
]

RATINGS = [
    Row("Reporters' ratings (last 30 days)", [
        Panel("Average rating (1-5) per agency",
              [(f"max by (city, agency) (aduan_report_rating_average{{{AGENCY}}})",
                "{{city}} {{agency}}")],
              kind="bargauge", width=8, height=10,
              description="The reporters' ratings of the reports that came in during the "
                          "last 30 days, per city and agency (the statistics API's figures; "
                          "the leader console shows them per category and month)."),
        Panel("Ratings by score",
              [("sum by (score) (max by (city, agency, score) "
                f"(aduan_report_ratings{{{AGENCY}}}))", "{{score}}")],
              kind="bargauge", width=8, height=10,
              description="How many reports were rated 1, 2, 3, 4 or 5."),
        Panel("Share of resolved reports rated, per agency",
              [(f"max by (city, agency) (aduan_report_rating_share_rated{{{AGENCY}}})",
                "{{city}} {{agency}}")],
              kind="bargauge", unit="percentunit", width=8, height=10,
              description="Of the reports that could be rated (resolved or closed), the share "
                          "the reporter rated."),
    ]),
]

AGENCY_VARIABLE = {
    "name": "agency",
    "label": "Agency",
    "type": "query",
    "datasource": DATASOURCE,
    "query": {"query": "label_values(aduan_report_transitions_total, agency)",
              "refId": "agency"},
    "definition": "label_values(aduan_report_transitions_total, agency)",
    "refresh": 2,
    "multi": True,
    "includeAll": True,
    "allValue": ".*",
    "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    "sort": 1,
}


def dashboard(uid: str, title: str, description: str, rows: list[Row], time_from: str,
              variables: list[dict[str, Any]]) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for row in rows:
        panels.append({"type": "row", "title": row.title, "id": next_id, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        x = 0
        row_height = 0
        for panel in row.panels:
            if x + panel.width > 24:
                x, y = 0, y + row_height
                row_height = 0
            panels.append(_panel(panel, next_id, x, y))
            next_id += 1
            x += panel.width
            row_height = max(row_height, panel.height)
        y += row_height
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["aduan"],
        "timezone": "browser",
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "panels": panels,
    }


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    instant = panel.kind in ("stat", "bargauge", "table")
    options: dict[str, Any] = {"legend": {"displayMode": "list", "placement": "bottom"}}
    if panel.kind == "bargauge":
        options = {"displayMode": "gradient", "orientation": "horizontal",
                   "reduceOptions": {"calcs": ["lastNotNull"], "values": False}}
    elif panel.kind == "stat":
        options = {"reduceOptions": {"calcs": ["lastNotNull"], "values": False}}
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {**options, **panel.options},
        "targets": [
            {"refId": chr(ord("A") + index), "datasource": DATASOURCE, "expr": expr,
             "legendFormat": legend, "instant": instant, "range": not instant}
            for index, (expr, legend) in enumerate(panel.targets)
        ],
    }


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        "operations.json": dashboard(
            "aduan-operations", "Aduan — operations",
            "Queues, consumers, latency and errors of every Aduan service.",
            OPERATIONS, "now-6h", []),
        "leadership.json": dashboard(
            "aduan-leadership", "Aduan — kinerja OPD (leadership)",
            "Reports by stage and agency, agency response times, SLA compliance, the "
            "reporters' ratings.",
            [*LEADERSHIP, *RATINGS], "now-30d", [AGENCY_VARIABLE]),
    }


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, board in dashboards().items():
        (OUT / name).write_text(render(board))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
