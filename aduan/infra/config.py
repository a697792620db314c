"""The one configuration loader: every setting comes from an ADUAN_* environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any


def _env(name: str, default: str) -> str:
    return os.environ.get(f"ADUAN_{name}", default)


@dataclass(frozen=True)
class Settings:
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db: str = "aduan"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    # Prefixes exchange and queue names so that several stacks can share one broker.
    namespace: str = "aduan"
    prefetch: int = 8
    # Messages one consumer process handles at once, each in its own thread (the handlers
    # wait on the database and other services far more than they compute); the prefetch is
    # raised to twice it when lower.
    consumer_concurrency: int = 8
    max_attempts: int = 5
    retry_delays_ms: tuple[int, ...] = (1000, 5000, 30000)
    s3_endpoint: str = "127.0.0.1:8333"
    s3_access_key: str = "aduan"
    s3_secret_key: str = "aduan-dev-secret"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_raw_bucket: str = "aduan-raw"
    s3_public_bucket: str = "aduan-public"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Aduan <no-reply@aduan.local>"
    smtp_starttls: bool = False
    # SMTPS: TLS from the first byte (usually port 465) instead of STARTTLS. Either way the
    # server's certificate and host name are verified, against the system's CAs or this file.
    smtp_ssl: bool = False
    smtp_ca_file: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    # SMS through one generic HTTP provider; disabled while sms_url is empty.
    sms_url: str = ""
    sms_auth_header: str = ""  # "Name: value", e.g. "Authorization: Bearer abc"
    # JSON body; string values may hold the placeholders {to}, {text} and {sender}.
    sms_body_template: str = '{"to": "{to}", "text": "{text}", "from": "{sender}"}'
    sms_sender: str = "ADUAN"
    sms_timeout_s: float = 10.0
    webhook_max_attempts: int = 8
    # Comma-separated hosts webhooks may be sent to; empty means any. Test stacks allow only
    # this machine, so no generated subscription ever sends traffic elsewhere.
    webhook_allowed_hosts: str = ""
    # Comma-separated hosts (as written in the URL) that may resolve to loopback or private
    # addresses; every other webhook must reach public addresses only. Empty in production
    # (services/notification/webhook_targets.py has the whole rule).
    webhook_private_hosts: str = ""
    webhook_retry_delays_ms: tuple[int, ...] = (10_000, 60_000, 300_000, 1_800_000, 7_200_000)
    webhook_timeout_s: float = 5.0
    webhook_poll_interval_s: float = 1.0
    webhook_concurrency: int = 4
    # Webhook subscriptions and the catalogue are kept in each process and read again when
    # changed (aduan/infra/versioned_cache.py): how often a process looks for a change, and
    # so how long the API that made one waits before it answers.
    cache_check_s: float = 1.0
    # Open311 `media_url` (gateway/open311/media.py): the time the whole fetch may take, and
    # hosts (as written in the URL) that may resolve to private addresses; empty in production,
    # as for webhooks (aduan/infra/public_addresses.py has the rule).
    media_url_timeout_s: float = 5.0
    media_url_private_hosts: str = ""
    # A claimed email/SMS/webhook delivery is someone else's to retry once this has passed.
    delivery_lease_s: float = 60.0
    # Keys the hash of each recipient address in the delivery log (HMAC-SHA-256), so the log
    # cannot be turned back into phone numbers and emails; production must set its own.
    delivery_hash_secret: str = "dev-only-delivery-hash-secret"
    # Leaders' daily digest: the local hour it goes out.
    digest_hour: int = 7
    intake_url: str = "http://127.0.0.1:8081"
    verification_url: str = "http://127.0.0.1:8082"
    routing_url: str = "http://127.0.0.1:8083"
    notification_url: str = "http://127.0.0.1:8084"
    lapor_url: str = "http://127.0.0.1:8085"
    channels_url: str = "http://127.0.0.1:8086"
    public_base_url: str = "http://127.0.0.1:8080"
    default_city: str = "padang"
    max_photo_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    photo_max_age_hours: float = 24.0
    photo_future_tolerance_minutes: float = 10.0
    city_margin_m: float = 500.0
    # How far the photo's GPS position may be from the location the reporter claims.
    claimed_location_max_m: float = 1000.0
    # Largest Hamming distance between two photos' 64-bit equalised perceptual hashes that
    # links them as possible duplicates (at most 7: the look-up's pigeonhole guarantee, see
    # docs/verification.md; plain dHashes are compared up to 3).
    duplicate_max_distance: int = 7
    # Reports of the same category this close (metres) and this recent (hours) are listed to
    # operators as possible duplicates (0 m: no such look-up).
    place_duplicate_radius_m: float = 50.0
    place_duplicate_window_h: float = 72.0
    # The public map's base layer: an XYZ tile URL ({z}/{x}/{y}, e.g. an OpenStreetMap-style
    # tile server, http or https) and its attribution text. Empty: the city's polygons only
    # (the console falls back to them too when the tiles cannot be loaded).
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    # The public scorecard (GET /scorecard) is computed at most this often per process and city.
    scorecard_cache_s: float = 300.0
    # SP4N-LAPOR! connector (services/lapor/): the institution's API base URL (empty: the
    # connector is off), the access token of each city ("padang=token,jambi=token"), the field
    # mapping (JSON text or @path; empty: aduan/data/lapor_fields.json) and its pacing.
    lapor_base_url: str = ""
    lapor_tokens: str = ""
    lapor_fields: str = ""
    lapor_timeout_s: float = 10.0
    lapor_page_size: int = 50
    lapor_poll_interval_s: float = 300.0
    # How long one exporter holds a report's lease (services/lapor/sync.py); at least
    # 2 x lapor_timeout_s + 1 (raised to that); a crashed exporter's report waits this long.
    lapor_lease_s: float = 60.0
    # Hosts (as written in the URL) a LAPOR! attachment may come from although they resolve to
    # private addresses (aduan/infra/public_addresses.py has the rule; LAPOR!'s own origin is
    # the configured base URL and needs no entry); empty in production, as for media_url.
    lapor_attachment_private_hosts: str = ""
    # WhatsApp Business Cloud API (services/channels/): the Graph API base, the city's phone
    # number id and access token, the app secret that signs webhooks (X-Hub-Signature-256), the
    # verify token of the webhook's GET handshake, the city the number serves, and the approved
    # template used outside the 24-hour window. Empty phone number id: the channel is off.
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_phone_number_id: str = ""
    whatsapp_access_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_city: str = "padang"
    whatsapp_status_template: str = "aduan_status"
    whatsapp_timeout_s: float = 10.0
    # The origins (scheme://host[:port], comma-separated) of the media URLs Meta's lookup may
    # give: the access token is sent to no other (aduan/infra/whatsapp_graph.py).
    whatsapp_media_origins: str = "https://lookaside.fbsbx.com"
    # Inbound SMS from the same generic provider (a form POST to /api/v1/channels/sms): the
    # form fields holding the sender and the text, the shared secret the provider sends in
    # the header named by sms_inbound_secret_header, and the city the number serves.
    sms_inbound_from_field: str = "from"
    sms_inbound_text_field: str = "text"
    sms_inbound_secret_header: str = "X-Sms-Secret"
    sms_inbound_secret: str = ""
    sms_inbound_city: str = "padang"
    # The provider's message id field (a retried delivery is then the same report); an SMS
    # that names no category is a comment on the sender's open SMS report of the last N days.
    sms_inbound_id_field: str = "message_id"
    sms_reply_window_days: int = 30
    # Resumable photo uploads (services/intake/resumable.py): the chunk size the server asks
    # for, how long an unfinished upload is kept, how many one address may have open and
    # active (a chunk in the last 30 minutes; many residents may share a carrier-grade NAT
    # address), how often each intake process purges expired ones, and how many chunk PUTs a
    # minute one address may send (counted apart from rate_limit_per_ip, split per gateway
    # process like it: five 10 MB photos are 200 chunks).
    upload_chunk_bytes: int = 256 * 1024
    upload_expiry_s: int = 24 * 3600
    uploads_open_per_ip: int = 100
    upload_purge_every_s: float = 60.0
    upload_chunks_per_ip: int = 800
    # Web Push (RFC 8030/8291/8292): the VAPID key pair (the private key as base64url raw
    # 32 bytes or PEM; the public key as base64url uncompressed point), the contact the push
    # services are given, and how long a push service keeps an undelivered message.
    vapid_private_key: str = ""
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:admin@aduan.local"
    push_ttl_s: int = 24 * 3600
    push_timeout_s: float = 5.0
    # Comma-separated hosts push endpoints may live on (".domain": any host under it); empty
    # means any public host, in production the known push services (push_subscriptions.
    # KNOWN_PUSH_SERVICES); the test stacks allow only this machine's push double.
    push_allowed_hosts: str = ""
    push_private_hosts: str = ""
    # Push subscriptions one address may make per minute (counted like submit_limit_per_ip).
    push_subscribes_per_ip: int = 120
    # Decode HEIC/HEIF photos (pi-heif: LGPL libheif + libde265, no GPL encoder).
    heif_enabled: bool = True
    # Per-city verification policy overrides: JSON text, or @/path/to/file.json.
    verification_policies: str = ""
    # Past a live process's deferred pull (2-4 s after the publish) plus a saturated
    # database's queueing (seconds): aduan/infra/outbox.py, docs/ARCHITECTURE.md.
    outbox_relay_after_s: float = 10.0
    upstream_timeout_s: float = 10.0
    # "production" makes every process refuse to start with a missing, shipped or short secret
    # (aduan/infra/secret_policy.py); anything else is a developer's machine.
    env: str = "development"
    # Signs reporter tracking tokens; production must set its own secret (>= 32 bytes).
    token_secret: str = "dev-only-token-secret"
    # Signs staff access tokens (HS256, shared by every service that checks roles).
    jwt_secret: str = "dev-only-jwt-secret-change-me-in-production"
    # Comma-separated keys replaced by a rotation: tokens they signed are still accepted
    # (aduan/infra/keyring.py); new tokens are always signed with the current key.
    token_previous_secrets: str = ""
    jwt_previous_secrets: str = ""
    access_token_ttl_s: int = 900
    # How often each process re-reads which users must sign in again (disabled, new role or
    # password): a change takes effect everywhere within this time.
    revocation_refresh_s: float = 30.0
    refresh_token_ttl_s: int = 7 * 24 * 3600
    # Requests per minute; client apps sending an API key get their key's own budget.
    rate_limit_per_ip: int = 300
    rate_limit_per_api_key: int = 1200
    submit_limit_per_ip: int = 30
    login_limit_per_ip: int = 10
    # Asking for and answering the reporter's one-time tracking code, together.
    recovery_limit_per_ip: int = 10
    # The per-address limits above (rate_limit_per_ip, submit_limit_per_ip) are counted in
    # each gateway process, which allows limit / (gateway_replicas x web_workers): set this to
    # the number of gateway replicas running. web_workers: gunicorn's worker processes per
    # replica (aduan/infra/gunicorn_conf.py reads the same ADUAN_WEB_WORKERS).
    gateway_replicas: int = 1
    web_workers: int = 2
    # Comma-separated proxy addresses or CIDRs whose X-Forwarded-For is believed; the client
    # is the right-most address in it that is not one of them. Empty: the peer's address.
    trusted_proxies: str = ""
    # Failed sign-ins to one account (from any address) before each further attempt must
    # wait 2, 4, 8 ... seconds (capped); a successful sign-in starts again from zero.
    login_failures_before_backoff: int = 5
    login_backoff_max_s: int = 900
    # When true, submitting a report needs a client app's API key (X-Api-Key).
    require_api_key: bool = False
    log_level: str = "INFO"
    # Service levels in working days (per-category overrides live in the catalogue).
    sla_forward_days: int = 3
    sla_follow_up_days: int = 5
    # A category without its own resolution target (catalogue `sla.resolution_days`).
    sla_resolution_days: int = 10
    auto_close_days: int = 10
    # holidays-package categories that close government offices: public days and cuti bersama.
    holiday_categories: str = "public,government"
    sla_sweep_interval_s: float = 60.0
    max_evidence_bytes: int = 10 * 1024 * 1024
    # Agencies' evidence photos: taken at most this far from the report's location and this
    # long before the resolution, else the assignment is flagged for the agency's admins.
    evidence_max_distance_m: float = 300.0
    evidence_max_age_hours: float = 24.0
    # Comments on one report (all authors), and photos among them; then 422 comment_limit.
    comments_per_report: int = 200
    comment_photos_per_report: int = 30
    # Comments (and photos among them) one author, a reporter or a staff member, may add to
    # one report in 24 hours; then 429 comment_rate_limited with Retry-After.
    comments_per_author_per_day: int = 20
    comment_photos_per_author_per_day: int = 5
    # Consumer and relay processes serve /metrics on this port when it is not 0 (compose and
    # Kubernetes, where a worker shares no metrics folder with an HTTP service).
    worker_metrics_port: int = 0
    worker_metrics_host: str = "0.0.0.0"
    # The gateway's second listener (gunicorn `-b` twice): /metrics and readiness details are
    # answered only on this port, never on the public one.
    internal_port: int = 9100

    @classmethod
    def from_env(cls) -> Settings:
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = os.environ.get(f"ADUAN_{field.name.upper()}")
            if raw is None:
                continue
            values[field.name] = _parse(raw, field.default)
        settings = cls(**values)
        from aduan.infra.secret_policy import refuse_insecure_start  # it reads Settings itself

        refuse_insecure_start(settings)
        return settings


def _parse(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(int(part) for part in raw.split(",") if part.strip())
    return raw
