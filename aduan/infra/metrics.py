"""The one metrics setup: correct under gunicorn with several workers and in consumer processes.

With PROMETHEUS_MULTIPROC_DIR set (devstack and the deploy files set it per service), every
process writes its samples there and /metrics aggregates them; without it, the default registry
is used.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_request_duration = Histogram(
    "aduan_http_request_duration_seconds",
    "HTTP request duration by route template, method and status.",
    ["service", "route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
http_requests_in_flight = Gauge(
    "aduan_http_requests_in_flight",
    "HTTP requests being handled.",
    ["service"],
    multiprocess_mode="livesum",
)
messages_handled = Counter(
    "aduan_messages_handled_total",
    "Messages taken from a queue, by outcome (acked, retried, parked).",
    ["queue", "outcome"],
)
messages_in_hand = Gauge(
    "aduan_messages_in_hand",
    "Messages a consumer holds: delivered to it and not settled yet (being handled, or waiting "
    "behind a message of the same report). With aduan_queue_messages, the work not done yet.",
    ["queue"],
    multiprocess_mode="livesum",
)
message_handling_duration = Histogram(
    "aduan_message_handling_duration_seconds",
    "Time spent handling one message.",
    ["queue"],
    buckets=LATENCY_BUCKETS,
)
events_published = Counter(
    "aduan_events_published_total", "Events published to the broker.", ["routing_key"]
)
reports_submitted = Counter(
    "aduan_reports_submitted_total", "Reports accepted by intake.", ["city", "channel"]
)
verification_verdicts = Counter(
    "aduan_verification_verdicts_total", "Verification verdicts.", ["verdict"]
)
verification_reasons = Counter(
    "aduan_verification_reasons_total", "Verification findings by reason code.", ["reason"]
)
verification_photo_duration = Histogram(
    "aduan_verification_photo_duration_seconds",
    "Time to verify one photo: decode, checks, copies, duplicate look-up (not S3 transfers).",
    buckets=LATENCY_BUCKETS,
)
verification_overrides = Counter(
    "aduan_verification_overrides_total", "Verdicts changed by an operator.", ["verdict"]
)
verification_duplicates = Counter(
    "aduan_verification_duplicates_total", "Photos linked to an earlier report's photo."
)
notifications_sent = Counter(
    "aduan_notifications_total",
    "Notification delivery attempts by channel (email, sms, webhook) and result (sent, failed: "
    "will be retried, rejected: refused for good, parked: webhook out of attempts).",
    ["channel", "result"],
)
notification_send_duration = Histogram(
    "aduan_notification_send_duration_seconds",
    "Time one delivery attempt took (SMTP session, SMS provider call, webhook POST).",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)
notifications_skipped = Counter(
    "aduan_notifications_skipped_total",
    "Deliveries not made again because the event was already handled (redelivery).",
    ["channel"],
)

database_commands = Histogram(
    "aduan_database_commands_seconds",
    "MongoDB commands this service sent, by command and collection, with their duration "
    "(failed ones included).",
    ["command", "collection"],
    buckets=LATENCY_BUCKETS,
)

database_documents_written = Counter(
    "aduan_database_documents_written_total",
    "Documents this service's inserts, updates and deletes wrote, by command and collection (an "
    "update that leaves a document as it was writes none): each costs the database every index "
    "entry of the document.",
    ["command", "collection"],
)

workflow_actions = Counter(
    "aduan_workflow_actions_total", "Workflow actions by action and outcome (done, refused).",
    ["action", "outcome"],
)


# ---- SP4N-LAPOR! connector (services/lapor/) ----

lapor_imported = Counter(
    "aduan_lapor_imported_total",
    "Reports imported from SP4N-LAPOR! (new Aduan reports, not re-fetches), by city.",
    ["city"],
)
lapor_exported = Counter(
    "aduan_lapor_exported_total",
    "Items sent to SP4N-LAPOR!, by city and kind (status, response, comment: follow-ups; "
    "report: a report forwarded there).",
    ["city", "kind"],
)
lapor_failures = Counter(
    "aduan_lapor_failures_total",
    "Failed calls to SP4N-LAPOR!, by city, direction (import, export, forward) and reason "
    "(unauthorized, rejected, unavailable, rate_limited, timeout, intake_refused, ...).",
    ["city", "direction", "reason"],
)
# Export lag: from the history entry in Aduan to its follow-up accepted by LAPOR!; retries
# after an outage stretch it to hours.
LAPOR_LAG_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
lapor_export_lag = Histogram(
    "aduan_lapor_export_lag_seconds",
    "Time from a change in Aduan to its follow-up reaching SP4N-LAPOR!, by city.",
    ["city"],
    buckets=LAPOR_LAG_BUCKETS,
)
# The follow-ups waiting to be sent (`lapor_sync.pending`) are read from the database when
# scraped: the lapor service registers services/lapor/sync_metrics.py's collector (gauges
# aduan_lapor_pending{city}, aduan_lapor_reports_failing{city}).


# ---- WhatsApp channel (services/channels/) ----

whatsapp_messages = Counter(
    "aduan_whatsapp_messages_total",
    "Residents' WhatsApp messages handled (not re-deliveries), by kind (text, image, "
    "location, choice, other).",
    ["kind"],
)
whatsapp_replies = Counter(
    "aduan_whatsapp_replies_total",
    "Bot replies, by result (sent; refused: the Graph API said no; unavailable: kept for the "
    "next delivery; opted_out: the number said STOP).",
    ["result"],
)
whatsapp_reports = Counter(
    "aduan_whatsapp_reports_total",
    "Reports the bot filed with intake, by result (filed, refused).",
    ["result"],
)


# ---- inbound SMS (services/channels/sms_inbound.py) ----

sms_inbound = Counter(
    "aduan_sms_inbound_total",
    "Residents' SMS handled, by what became of them (filed, commented, stopped, started, "
    "incomplete, help, refused, unavailable: intake down, in_progress: another delivery of "
    "the message is being handled; the provider retries both).",
    ["result"],
)


class _SampleFilesCollector(multiprocess.MultiProcessCollector):
    """The multiprocess collector, minus sample files that hold no data yet (a process killed
    (SIGKILL) just as it created its file leaves it empty, and prometheus_client would then
    fail every scrape of the service until the file is removed), and minus the live gauges of
    processes that are gone (one killed never had them removed by `mark_process_dead`, and
    its last value would count for ever)."""

    def collect(self) -> Iterable[Metric]:
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            live_gauge = _LIVE_GAUGE_FILE.fullmatch(os.path.basename(path))
            if live_gauge and not _running(int(live_gauge.group(1))):
                continue
            try:
                if os.path.getsize(path) >= _SAMPLE_FILE_HEADER:
                    files.append(path)
            except OSError:  # removed since the listing: a process that ended cleanly
                continue
        return self.merge(files, accumulate=True)


_SAMPLE_FILE_HEADER = 8  # bytes prometheus_client writes before any sample
# prometheus_client names a process's file of live-mode gauges gauge_live<mode>_<pid>.db.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]*_(\d+)\.db")


def _running(pid: int) -> bool:
    """Whether a process of this machine (the folder's writers all are) still has this pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _SampleFilesCollector(registry)
        registry.register(_EXTRA)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


# ---- report workflow (observed through aduan.infra.report_metrics) ----

# Stages last minutes to weeks: SP4N-LAPOR! allows 3 working days to forward, 5 to follow up.
STAGE_BUCKETS = (
    60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 10 * 86400, 14 * 86400, 30 * 86400,
)
report_stage_duration = Histogram(
    "aduan_report_stage_duration_seconds",
    "Time a report spent in a stage (submit_to_forward, forward_to_accept, accept_to_resolve), "
    "by agency code.",
    ["stage", "agency"],
    buckets=STAGE_BUCKETS,
)
report_transitions = Counter(
    "aduan_report_transitions_total",
    "Status changes by the status reached and the agency code (none before forwarding).",
    ["status", "agency"],
)
sla_breaches = Counter(
    "aduan_sla_breaches_total",
    "Service-level deadlines missed, by kind (emitted with the report.sla_breached event).",
    ["kind"],
)


_extra_collectors: dict[str, Collector] = {}


class _ExtraCollectors(Collector):
    """Collectors that read live state when scraped (e.g. queue depth): one registry entry, so
    registering a collector again under its key replaces it instead of failing."""

    def collect(self) -> Iterable[Metric]:
        for collector in list(_extra_collectors.values()):
            yield from collector.collect()

    def describe(self) -> Iterable[Metric]:
        return []


_EXTRA = _ExtraCollectors()
REGISTRY.register(_EXTRA)


def register_collector(key: str, collector: Collector) -> None:
    _extra_collectors[key] = collector


def worker_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _SampleFilesCollector(registry)
        return registry
    return REGISTRY


def serve_worker_metrics(host: str, port: int) -> None:
    """Serves /metrics of a consumer or relay process on `port` (nothing when 0)."""
    if port:
        start_http_server(port, addr=host, registry=worker_registry())
