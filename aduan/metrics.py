"""The one metrics setup: correct under gunicorn with several workers and in consumer processes.

With PROMETHEUS_MULTIPROC_DIR set (devstack and the deploy files set it per service), every
process writes its samples there and /metrics aggregates them; without it, the default registry
is used.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

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
    "aduan_notifications_total", "Notification deliveries by channel and result.",
    ["channel", "result"],
)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
