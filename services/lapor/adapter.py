"""The SP4N-LAPOR! contract: the one module that knows how LAPOR!'s API looks.

Modelled, not copied: LAPOR!'s API is handed to each institution's developer account and is
not public. What the public fragments say, and this module assumes:
- JSON over HTTPS under one base URL (`ADUAN_LAPOR_BASE_URL`);
- an access token per institution (`ADUAN_LAPOR_TOKENS`, "padang=...,jambi=..."), sent as
  `Authorization: Bearer <token>`; 401/403 when it is wrong or revoked;
- the reports disposed to the institution, page by page, changed since a time (inclusive),
  oldest change first (`GET /laporan?page=&per_page=&updated_since=` -> `{data: [...], meta:
  {last_page}}`), each
  identified by its Tracking ID, with a classification (pengaduan, aspirasi, permintaan
  informasi), a privacy level (publik, anonim, rahasia: a confidential report carries no
  reporter identity), a topic with id and parent_id, a place and attachments (URLs);
- follow-ups (tindak lanjut) per report: `GET /laporan/<tracking>/tindak-lanjut`, and `POST`
  of one `{ref, status, isi, tanggal}`; `ref` is the sender's own key of the follow-up, so a
  sender that does not know whether its POST arrived can look for it;
- a report created by the institution (`POST /laporan`, with the sender's `ref`; found again
  by `GET /laporan/referensi/<ref>`, 404 when there is none);
- 429 with Retry-After when called too often, 5xx and slow answers when it is unwell.
Every path, parameter, field name and vocabulary is data (`aduan/data/lapor_fields.json`, or
`ADUAN_LAPOR_FIELDS` as JSON text or `@path`), so a city plugs in the real endpoint by
configuration. The suite plays this contract with tests/lapor_double.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from aduan.infra import pinned_http
from aduan.infra.config import Settings
from aduan.infra.public_addresses import HostRule, TargetRefused, resolve_target

DEFAULT_FIELDS = Path(__file__).resolve().parents[2] / "aduan" / "data" / "lapor_fields.json"
MAX_REDIRECTS = 3  # of one attachment's URL, each hop checked as the first
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class LaporError(Exception):
    """A call to LAPOR! that did not do what was asked; `reason` labels the failure metric."""

    reason = "error"


class LaporUnavailable(LaporError):
    """Try again later: no answer, a timeout, 5xx, or 429 (`retry_after` seconds, if said)."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"LAPOR! unavailable ({reason}) {detail}".strip())
        self.reason = reason
        self.retry_after = retry_after


class LaporRejected(LaporError):
    """LAPOR! refused the call (a 4xx other than 401/403/429): sending it again won't help."""

    reason = "rejected"

    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(f"LAPOR! refused the call: {status} {detail}".strip())
        self.status = status


class LaporUnauthorized(LaporError):
    """The city's token was refused (401/403) by LAPOR!'s API, or the city has none."""

    reason = "unauthorized"


class AttachmentFailed(LaporError):
    """One attachment could not be fetched (refused by the address rule, an error status, no
    answer, too slow): the importer names it instead, and the pass goes on. Never
    `unauthorized`: a 403 from a CDN's expired link says nothing of the city's token."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"attachment not fetched ({reason}) {detail}".strip())
        self.reason = reason


@dataclass(frozen=True)
class AttachmentRef:
    url: str
    name: str


@dataclass(frozen=True)
class LaporReport:
    """A report as LAPOR! gives it, in Aduan's words (`type`, `privacy`)."""

    tracking_id: str
    title: str
    content: str
    type: str | None  # complaint | aspiration | information_request; None: not recognised
    privacy: str  # public | anonymous | confidential
    topic_id: str | None
    topic_parent_id: str | None
    reporter_name: str | None
    lat: float | None
    lon: float | None
    address: str | None
    attachments: tuple[AttachmentRef, ...]
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class Page:
    items: list[LaporReport]
    last_page: bool
    # Entries of the page this contract could not read (no tracking id): counted, skipped.
    unreadable: int = 0


@dataclass(frozen=True)
class FollowUp:
    ref: str
    status: str  # an Aduan status (or "comment"): translated with the mapping's `statuses`
    content: str
    at: datetime


@dataclass(frozen=True)
class OutgoingReport:
    """A report Aduan forwards to LAPOR! (outside the city's authority): never the reporter."""

    ref: str
    title: str
    content: str
    type: str
    privacy: str
    topic_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---- configuration ------------------------------------------------------------------------

def city_tokens(settings: Settings) -> dict[str, str]:
    """`ADUAN_LAPOR_TOKENS` ("padang=tok,jambi=tok") as {city: token}."""
    tokens = {}
    for part in settings.lapor_tokens.split(","):
        city, _, token = part.partition("=")
        if city.strip() and token.strip():
            tokens[city.strip()] = token.strip()
    return tokens


def enabled(settings: Settings) -> bool:
    return bool(settings.lapor_base_url.strip())


def connected_cities(settings: Settings) -> list[str]:
    """The cities the connector works for: a base URL and the city's token."""
    return sorted(city_tokens(settings)) if enabled(settings) else []


@cache
def _load_fields(source: str) -> dict[str, Any]:
    if not source.strip():
        return json.loads(DEFAULT_FIELDS.read_text())
    if source.startswith("@"):
        return json.loads(Path(source[1:]).read_text())
    return json.loads(source)


def field_mapping(settings: Settings) -> dict[str, Any]:
    return _load_fields(settings.lapor_fields)


# ---- reading and writing LAPOR!'s JSON by dot paths ----------------------------------------

def get_path(document: Any, path: str | None) -> Any:
    if not path:
        return None
    value = document
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for key in keys[:-1]:
        document = document.setdefault(key, {})
    document[keys[-1]] = value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as LAPOR! sends it; None when missing or unreadable (and naive times,
    which could be read in two zones)."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def read_report(raw: Any, mapping: dict[str, Any]) -> LaporReport | None:
    """One of LAPOR!'s reports in Aduan's words; None without a Tracking ID."""
    names = mapping["report"]
    tracking_id = _text(get_path(raw, names["tracking_id"]))
    if tracking_id is None:
        return None
    classification = _text(get_path(raw, names["classification"]))
    privacy = _text(get_path(raw, names["privacy"]))
    attachments = []
    for entry in get_path(raw, names["attachments"]) or []:
        url = _text(get_path(entry, names["attachment_url"])) if isinstance(entry, dict) else None
        if url:
            attachments.append(AttachmentRef(
                url, _text(get_path(entry, names["attachment_name"])) or url.rsplit("/", 1)[-1]))
    lat, lon = _number(get_path(raw, names["lat"])), _number(get_path(raw, names["lon"]))
    return LaporReport(
        tracking_id=tracking_id,
        title=_text(get_path(raw, names["title"])) or "",
        content=_text(get_path(raw, names["content"])) or "",
        type=mapping["classifications"].get(classification or "", None),
        # Fail closed: a privacy level this mapping does not know is kept confidential (real
        # breaches came from a report not marked confidential, not from one marked too much).
        privacy=mapping["privacy_levels"].get(privacy or "", "confidential"),
        topic_id=_text(get_path(raw, names["topic_id"])),
        topic_parent_id=_text(get_path(raw, names["topic_parent_id"])),
        reporter_name=_text(get_path(raw, names["reporter_name"])),
        lat=lat if lon is not None else None,
        lon=lon if lat is not None else None,
        address=_text(get_path(raw, names["address"])),
        attachments=tuple(attachments),
        created_at=parse_time(get_path(raw, names["created_at"])),
        updated_at=parse_time(get_path(raw, names["updated_at"])),
    )


def followup_body(followup: FollowUp, mapping: dict[str, Any]) -> dict[str, Any]:
    names = mapping["followups"]["fields"]
    body: dict[str, Any] = {}
    set_path(body, names["ref"], followup.ref)
    set_path(body, names["status"], mapping["statuses"].get(followup.status, followup.status))
    set_path(body, names["content"], followup.content)
    set_path(body, names["at"], iso(followup.at))
    return body


def report_body(report: OutgoingReport, mapping: dict[str, Any]) -> dict[str, Any]:
    names = mapping["create"]["fields"]
    classifications = {v: k for k, v in mapping["classifications"].items()}
    privacy_levels = {v: k for k, v in mapping["privacy_levels"].items()}
    values = {"ref": report.ref, "title": report.title, "content": report.content,
              "classification": classifications.get(report.type, report.type),
              "privacy": privacy_levels.get(report.privacy, report.privacy),
              "topic_id": report.topic_id, "lat": report.lat, "lon": report.lon,
              "address": report.address,
              "created_at": iso(report.created_at) if report.created_at else None}
    body: dict[str, Any] = {}
    for name, value in values.items():
        if value is not None and names.get(name):
            set_path(body, names[name], value)
    return {**body, **report.extra}


# ---- the client -----------------------------------------------------------------------------

class LaporClient:
    """LAPOR! as one city's institution sees it (its token)."""

    def __init__(self, settings: Settings, city: str,
                 session: requests.Session | None = None) -> None:
        token = city_tokens(settings).get(city)
        if not enabled(settings) or token is None:
            raise LaporUnauthorized(f"no LAPOR! connection for {city}")
        self.city = city
        self.base_url = settings.lapor_base_url.rstrip("/")
        self.timeout_s = settings.lapor_timeout_s
        self.page_size = settings.lapor_page_size
        self.mapping = field_mapping(settings)
        auth = self.mapping["auth"]
        self._auth = {auth["header"]: f"{auth['scheme']} {token}".strip()}
        self.session = session or requests.Session()
        self.attachment_private_hosts = settings.lapor_attachment_private_hosts

    # -- plumbing --

    def _url(self, template: str, **values: str) -> str:
        path = template.format(**{k: quote(v, safe="") for k, v in values.items()})
        return f"{self.base_url}{path}"

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {**self._auth, "Accept": "application/json", **kwargs.pop("headers", {})}
        try:
            response = self.session.request(method, url, headers=headers,
                                            timeout=self.timeout_s, **kwargs)
        except requests.Timeout as err:
            raise LaporUnavailable("timeout", type(err).__name__) from err
        except requests.RequestException as err:
            raise LaporUnavailable("unavailable", type(err).__name__) from err
        status = response.status_code
        if status in (401, 403):
            raise LaporUnauthorized(f"LAPOR! refused the token of {self.city}: {status}")
        if status == 429:
            raise LaporUnavailable("rate_limited", "429",
                                   _retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            raise LaporUnavailable("unavailable", str(status))
        return response

    def _json(self, response: requests.Response) -> Any:
        if response.status_code >= 400:
            raise LaporRejected(response.status_code, response.text[:200])
        try:
            return response.json()
        except ValueError as err:
            raise LaporUnavailable("bad_answer", "not JSON") from err

    # -- the calls --

    def reports_page(self, page: int, since: datetime | None) -> Page:
        """One page of the reports disposed to the institution, changed since `since`."""
        spec = self.mapping["reports"]
        params = {spec["params"]["page"]: page, spec["params"]["page_size"]: self.page_size}
        if since is not None:
            params[spec["params"]["since"]] = iso(since)
        answer = self._json(self._call("GET", self._url(spec["path"]), params=params))
        raw_items = get_path(answer, spec["items"]) or []
        items = [read_report(raw, self.mapping) for raw in raw_items]
        last = get_path(answer, spec["last_page"])
        if isinstance(last, int) and not isinstance(last, bool):
            last_page = page >= last
        else:  # no page count in the answer: a short page is the last
            last_page = len(raw_items) < self.page_size
        last_page = last_page or not raw_items
        return Page([i for i in items if i is not None], bool(last_page),
                    sum(1 for i in items if i is None))

    def attachment(self, url: str, max_bytes: int) -> bytes | None:
        """An attachment's bytes; None when it is larger than `max_bytes` (never read whole);
        AttachmentFailed otherwise. An attachment's URL is LAPOR!'s user's or a CDN's choice,
        so it is fetched as any URL someone else chose (aduan/infra/public_addresses.py, the
        connection pinned to the addresses checked); LAPOR!'s own origin (the configured base
        URL) is exempt from the private-address part and the only one the token goes to.
        Redirects are followed a few times, each hop checked again."""
        url = urljoin(f"{self.base_url}/", url)
        deadline = time.monotonic() + self.timeout_s
        for _ in range(MAX_REDIRECTS + 1):
            own = _origin(url) == _origin(self.base_url)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AttachmentFailed("timeout", "redirects took the time allowed")
            answer = self._fetch(url, own, left, max_bytes)
            if answer is None:
                return None
            if answer.status in REDIRECTS and answer.headers.get("location"):
                url = urljoin(url, answer.headers["location"])
                continue
            if not 200 <= answer.status < 300:
                raise AttachmentFailed("http_status", str(answer.status))
            return answer.body
        raise AttachmentFailed("too_many_redirects")

    def _fetch(self, url: str, own: bool, timeout_s: float, max_bytes: int
               ) -> pinned_http.Answer | None:
        exempt = self.attachment_private_hosts
        if own:
            exempt = f"{exempt},{urlsplit(self.base_url).hostname or ''}"
        try:
            target = resolve_target(HostRule("lapor_attachment", "An attachment", exempt), url)
        except TargetRefused as refused:
            raise AttachmentFailed(refused.reason) from None
        headers = {"Accept": "*/*", "Accept-Encoding": "identity", **(self._auth if own else {})}
        try:
            return pinned_http.get(target, url, headers, timeout_s, max_bytes)
        except pinned_http.BodyTooLarge:
            return None
        except pinned_http.TooSlow:
            raise AttachmentFailed("timeout") from None
        except HTTPError as err:  # no whole answer: refused, reset, timed out, TLS failed
            timed_out = isinstance(err, TimeoutError) and not isinstance(err, NewConnectionError)
            raise AttachmentFailed("timeout" if timed_out else "unreachable",
                                   type(err).__name__) from None

    def followups(self, tracking_id: str) -> list[dict[str, Any]]:
        """The report's follow-ups at LAPOR!, each as {ref, status, content, at} (raw values)."""
        spec = self.mapping["followups"]
        answer = self._json(self._call("GET", self._url(spec["path"], tracking_id=tracking_id)))
        names = spec["fields"]
        return [{name: get_path(raw, path) for name, path in names.items()}
                for raw in get_path(answer, spec["items"]) or [] if isinstance(raw, dict)]

    def post_followup(self, tracking_id: str, followup: FollowUp) -> None:
        spec = self.mapping["followups"]
        self._json(self._call("POST", self._url(spec["path"], tracking_id=tracking_id),
                              json=followup_body(followup, self.mapping)))

    def find_by_ref(self, ref: str) -> str | None:
        """The Tracking ID of the report Aduan created at LAPOR! with `ref`; None if none."""
        spec = self.mapping["find_by_ref"]
        response = self._call("GET", self._url(spec["path"], ref=ref))
        if response.status_code == 404:
            return None
        return _text(get_path(self._json(response), spec["tracking_id"]))

    def create_report(self, report: OutgoingReport) -> str:
        """Creates the report at LAPOR!; its Tracking ID."""
        spec = self.mapping["create"]
        answer = self._json(self._call("POST", self._url(spec["path"]),
                                       json=report_body(report, self.mapping)))
        tracking_id = _text(get_path(answer, spec["tracking_id"]))
        if tracking_id is None:
            raise LaporUnavailable("bad_answer", "no tracking id in the answer")
        return tracking_id


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ("", None, None)
    return (parts.scheme, (parts.hostname or "").lower(), port)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (LAPOR! is modelled to send seconds; an HTTP date is ignored)."""
    seconds = _number(value)
    return max(0.0, seconds) if seconds is not None else None
