"""The one HTTP app factory: request ids, the error format, health, readiness and metrics."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pika.exceptions
import pymongo.errors
import urllib3.exceptions
from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound

from aduan.domain.errors import DomainError
from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.logs import request_id_var, setup_logging
from aduan.infra.messaging import CONSUMERS
from aduan.infra.queue_metrics import QueueStatsCollector
from aduan.web.errors import ApiError, error_body, from_domain
from aduan.web.parking import parking_blueprint
from aduan.web.security_headers import add_security_headers

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
# The connector channel an internal caller files for (open311, sp4n_lapor, whatsapp, sms): set
# by the gateway's Open311 endpoint, the SP4N-LAPOR! connector and the channels service when
# they file with intake. The gateway's proxy never forwards it from a request
# (FORWARDED_REQUEST_HEADERS), so intake takes those channels (filed without a camera photo,
# with an external id) only from there (aduan.domain.report_types.CONNECTOR_CHANNELS).
CHANNEL_HEADER = "X-Aduan-Channel"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Failures of a backing service: the client may retry later; nothing was half-written.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    pymongo.errors.ConnectionFailure,
    pymongo.errors.ServerSelectionTimeoutError,
    urllib3.exceptions.HTTPError,
    pika.exceptions.AMQPError,
    ConnectionError,
)

ReadinessCheck = Callable[[], None]

_HTTP_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def current_request_id() -> str | None:
    return request_id_var.get()


def provide(app: Flask, collaborators: object) -> None:
    """Gives a service's blueprints what they work with (settings, database, store, publisher,
    handlers): its factory builds one object holding them, the routes read it with
    `collaborators()`. Blueprints stay module-level and tests can hand an app fakes."""
    app.extensions["aduan"] = collaborators


def collaborators() -> Any:
    return current_app.extensions["aduan"]


def error_response(status: int, code: str, message: str, details=None) -> Response:
    response = jsonify(error_body(code, message, details, current_request_id()))
    response.status_code = status
    return response


def create_app(
    service: str,
    settings: Settings,
    readiness: dict[str, ReadinessCheck] | None = None,
    startup: Callable[[], None] | None = None,
    internal_port: int | None = None,
) -> Flask:
    """`startup` (indexes, buckets, seed data) runs before the first request a worker serves and
    again on later requests until it has succeeded once, so a service starts even while its
    database is still coming up.

    `internal_port` (the public gateway's): /metrics and the readiness failures, which name
    internal hosts, are answered only to requests that came in on that listener; the public
    one answers /metrics 404 and /readyz with its status alone."""
    setup_logging(service, settings.log_level)
    app = Flask(service)
    app.config["SETTINGS"] = settings
    app.json.sort_keys = False  # type: ignore[attr-defined]
    checks = readiness or {}
    if service in CONSUMERS:  # a consuming service's /metrics shows its queues' depth
        metrics.register_collector("queues", QueueStatsCollector(settings, [service]))
    started_up = threading.Event()
    startup_lock = threading.Lock()

    def _ensure_started() -> None:
        if startup is None or started_up.is_set():
            return
        with startup_lock:
            if not started_up.is_set():
                try:
                    startup()
                except Exception as err:  # retried on the next request
                    log.exception("start-up (indexes, buckets, seed data) failed")
                    raise ApiError(503, "service_unavailable",
                                   "The service is starting; retry later.") from err
                started_up.set()

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request_id_var.set(rid)
        g.started = time.perf_counter()
        metrics.http_requests_in_flight.labels(service).inc()
        if request.path not in ("/healthz", "/metrics"):
            _ensure_started()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id() or ""
        add_security_headers(response, production=settings.env == "production")
        started = g.pop("started", None)
        if started is not None:
            metrics.http_requests_in_flight.labels(service).dec()
            route = request.url_rule.rule if request.url_rule else "unmatched"
            metrics.http_request_duration.labels(
                service, route, request.method, str(response.status_code)
            ).observe(time.perf_counter() - started)
        return response

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        response = error_response(err.status, err.code, err.message, err.details)
        if err.status == 429 and isinstance(err.details, dict) and "retry_after" in err.details:
            response.headers["Retry-After"] = str(err.details["retry_after"])
        return response

    @app.errorhandler(DomainError)
    def _domain_error(err: DomainError) -> Response:
        return _api_error(from_domain(err))

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        status = err.code or 500
        code = _HTTP_ERROR_CODES.get(status, "http_error")
        return error_response(status, code, err.description or err.name)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        if isinstance(err, UNAVAILABLE_ERRORS):
            log.warning("backing service unavailable: %s", err)
            return error_response(
                503, "service_unavailable", "A backing service is unavailable; retry later."
            )
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Unexpected error; it has been logged.")

    @app.get("/healthz")
    def _healthz() -> Response:
        return jsonify({"status": "ok", "service": service})

    def _internal() -> bool:
        # The listener the connection came in on (gunicorn sets SERVER_PORT from the bound
        # socket, not from the Host header a client chooses).
        return internal_port is None or request.environ.get("SERVER_PORT") == str(internal_port)

    @app.get("/readyz")
    def _readyz() -> tuple[Response, int]:
        failures = {}
        for name, check in checks.items():
            try:
                check()
            except Exception as err:  # a readiness probe reports every failure, whatever it is
                failures[name] = str(err)[:200]
        body = {"status": "ok" if not failures else "unavailable",
                **({"failures": failures} if _internal() else {})}
        return jsonify(body), (200 if not failures else 503)

    @app.get("/metrics")
    def _metrics() -> Response:
        if not _internal():
            raise NotFound()
        payload, content_type = metrics.render()
        return Response(payload, content_type=content_type)

    if service in CONSUMERS:  # a consuming service shows operators its parking queue
        app.register_blueprint(parking_blueprint(settings, service))
    return app
