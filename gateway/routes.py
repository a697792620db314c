"""Every public API route and the service that serves it.

A route's `path` is under /api/v1 on the gateway; `upstream_path` is the same template on the
owning service (path parameters are URL-quoted when forwarded).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    service: str  # intake | verification | routing | notification | lapor | channels
    upstream_path: str


# A chunk's body is at most the chunk size the gateway lets through (gateway/app.py).
CHUNK_PATH = "/uploads/<upload_id>/chunks/<int:index>"

ROUTES: tuple[Route, ...] = (
    Route("POST", "/reports", "intake", "/reports"),
    Route("GET", "/reports", "intake", "/reports"),
    Route("GET", "/reports/<code>", "intake", "/reports/<code>"),
    # While filing: the open public reports of the category nearby; following one ("me too").
    Route("GET", "/reports/nearby", "intake", "/reports/nearby"),
    Route("POST", "/reports/<code>/followers", "intake", "/reports/<code>/followers"),
    Route("DELETE", "/reports/<code>/followers/<follower_id>", "intake",
          "/reports/<code>/followers/<follower_id>"),
    Route("POST", "/reports/<code>/followers/<follower_id>/confirm", "intake",
          "/reports/<code>/followers/<follower_id>/confirm"),
    Route("POST", "/reports/<code>/comments", "intake", "/reports/<code>/comments"),
    # Resumable photo uploads (a weak signal): opened, sent chunk by chunk, asked what is
    # missing; filed by naming them in POST /reports.
    Route("POST", "/uploads", "intake", "/uploads"),
    Route("GET", "/uploads/<upload_id>", "intake", "/uploads/<upload_id>"),
    Route("PUT", CHUNK_PATH, "intake", "/uploads/<upload_id>/chunks/<index>"),
    # The reporter's access on another device: a one-time code to the contact they gave.
    Route("POST", "/tracking/recover", "intake", "/tracking/recover"),
    Route("POST", "/tracking/verify", "intake", "/tracking/verify"),
    # WhatsApp Business webhook (Meta's handshake and signed deliveries; no API key).
    Route("GET", "/channels/whatsapp/webhook", "channels", "/whatsapp/webhook"),
    Route("POST", "/channels/whatsapp/webhook", "channels", "/whatsapp/webhook"),
    # Inbound SMS from the city's provider (a form; its shared secret in a header).
    Route("POST", "/channels/sms", "channels", "/sms"),
    # Photos at stable addresses, answered under the report's visibility rules.
    *(Route("GET", path.replace("<number>", "<int:number>"), "intake", path) for path in (
        "/reports/<code>/photos/<number>", "/reports/<code>/photos/<number>/thumbnail",
        "/reports/<code>/evidence/<photo_id>", "/reports/<code>/evidence/<photo_id>/thumbnail",
        "/reports/<code>/comments/<comment_id>/photo",
        "/reports/<code>/comments/<comment_id>/photo/thumbnail")),
    Route("GET", "/staff/reports", "intake", "/staff/reports"),
    Route("GET", "/staff/reports/<code>", "intake", "/staff/reports/<code>"),
    Route("GET", "/categories", "routing", "/categories"),
    Route("POST", "/categories", "routing", "/categories"),
    Route("PATCH", "/categories/<code>", "routing", "/categories/<code>"),
    Route("GET", "/agencies", "routing", "/agencies"),
    Route("POST", "/agencies", "routing", "/agencies"),
    Route("GET", "/agencies/<code>", "routing", "/agencies/<code>"),
    Route("PATCH", "/agencies/<code>", "routing", "/agencies/<code>"),
    Route("POST", "/reports/<code>/actions/<action>", "routing",
          "/reports/<code>/actions/<action>"),
    Route("GET", "/reports/<code>/workflow", "routing", "/reports/<code>/workflow"),
    Route("GET", "/queue", "routing", "/queue"),
    Route("GET", "/inbox", "routing", "/inbox"),
    Route("GET", "/tasks", "routing", "/tasks"),
    Route("GET", "/agencies/<code>/officers", "routing", "/agencies/<code>/officers"),
    Route("GET", "/escalations", "routing", "/escalations"),
    Route("GET", "/stats", "routing", "/stats"),
    Route("GET", "/stats.csv", "routing", "/stats.csv"),
    Route("GET", "/scorecard", "routing", "/scorecard"),
    Route("POST", "/webhooks", "notification", "/webhooks"),
    Route("GET", "/webhooks", "notification", "/webhooks"),
    Route("DELETE", "/webhooks/<subscription_id>", "notification",
          "/webhooks/<subscription_id>"),
    Route("GET", "/webhook-deliveries", "notification", "/webhook-deliveries"),
    Route("POST", "/webhook-deliveries/<delivery_id>/redeliver", "notification",
          "/webhook-deliveries/<delivery_id>/redeliver"),
    Route("GET", "/reports/<code>/deliveries", "notification", "/reports/<code>/deliveries"),
    # Web Push: the VAPID key, a device's subscription to a report, and unsubscribing.
    Route("GET", "/push/key", "notification", "/push/key"),
    Route("POST", "/reports/<code>/push", "notification", "/reports/<code>/push"),
    Route("DELETE", "/reports/<code>/push", "notification", "/reports/<code>/push"),
    Route("DELETE", "/push/subscriptions", "notification", "/push/subscriptions"),
    *(route for consumer in ("verification", "routing", "notification", "lapor") for route in (
        Route("GET", f"/ops/queues/{consumer}/parked", consumer, "/ops/parked"),
        Route("POST", f"/ops/queues/{consumer}/parked/replay", consumer, "/ops/parked/replay"),
    )),
    Route("POST", "/reports/<code>/verdict", "verification", "/reports/<code>/verdict"),
    # SP4N-LAPOR!: the city's topic mapping, each linked report's sync state, each city's.
    Route("GET", "/lapor/topics", "lapor", "/lapor/topics"),
    Route("PUT", "/lapor/topics/<topic_id>", "lapor", "/lapor/topics/<topic_id>"),
    Route("DELETE", "/lapor/topics/<topic_id>", "lapor", "/lapor/topics/<topic_id>"),
    Route("GET", "/lapor/status", "lapor", "/lapor/status"),
    Route("GET", "/reports/<code>/lapor", "lapor", "/reports/<code>/lapor"),
)
