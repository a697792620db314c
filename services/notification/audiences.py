"""Who hears what, and in which words.

- The reporter, if they left an email address or phone number, on every step that matters to
  them (REPORTER_STATUSES), in their language, with the tracking link.
- The liaison admins of each agency a report is forwarded to.
- On an SLA breach: the head of the agency, the leaders and whoever the escalation names.
(The leaders' daily digest is `services.notification.digest`; webhooks are `webhooks`.)

Staff get the report through `privacy.staff_summary`, which withholds the identity of an
anonymous or confidential reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.database import Database

from aduan.domain.lifecycle import EVENT_KEYS
from aduan.domain.status_names import language_of
from aduan.infra.catalogue import category_of, cities
from aduan.infra.config import Settings
from services.notification import contacts, privacy, templates
from services.notification.contacts import Contact, normalize_phone
from services.notification.sms import sms_enabled
from services.notification.templates import Rendered

REPORTER_STATUSES = frozenset({
    "submitted", "needs_review", "rejected", "forwarded", "referred", "accepted",
    "in_progress", "resolved", "closed", "reopened", "archived",
})
# The status an event stands for when its body does not name one.
KEY_STATUS = {"report.submitted": "submitted",
              **{key: status for status, key in EVENT_KEYS.items()}}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@dataclass(frozen=True)
class Notice:
    """One message to one address over one channel."""

    audience: str  # reporter | agency_admin | agency_head | leader | another staff role
    channel: str  # email | sms
    address: str
    email: Rendered | None = None
    sms: str | None = None


def event_status(event_key: str, body: dict[str, Any], report: dict[str, Any]) -> str:
    return body.get("status") or KEY_STATUS.get(event_key) or report["status"]


def tracking_link(settings: Settings, report: dict[str, Any]) -> str:
    return f"{settings.public_base_url}/api/v1/reports/{report['code']}"


def local_time(iso: str | None, city: str) -> str:
    """"23-11-2026 14:00 WIB" for an ISO instant, in the city's own time zone."""
    if not iso:
        return "-"
    try:
        instant = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    zone = cities().get(city, {}).get("timezone", "Asia/Jakarta")
    local = instant.astimezone(ZoneInfo(zone)) if instant.tzinfo else instant
    return f"{local:%d-%m-%Y %H:%M} {ZONE_NAMES.get(zone, zone)}"


class Planner:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def anyone_hears(self, event_key: str, body: dict[str, Any]) -> bool:
        """False when `plan` would tell no one of this event, whatever its report says."""
        if event_key in ("report.forwarded", "report.sla_breached"):
            return True
        status = body.get("status") or KEY_STATUS.get(event_key)
        return status is None or status in REPORTER_STATUSES

    def plan(self, event_key: str, body: dict[str, Any], report: dict[str, Any]
             ) -> list[Notice]:
        notices = self.for_reporter(event_key, body, report)
        if event_key == "report.forwarded":
            notices += self.for_liaisons(body, report)
        elif event_key == "report.sla_breached":
            notices += self.for_escalation(body, report)
        return _one_per_address(notices)

    # ---- names ---------------------------------------------------------------------------

    def agency_name(self, city: str, code: str, language: str) -> str:
        agency = contacts.agency_doc(self.db, city, code) or {}
        return agency.get(f"name_{language_of(language)}") or agency.get("name_id") or code

    def category_name(self, report: dict[str, Any], language: str) -> str:
        category = category_of(self.db, report) or {}
        return (category.get(f"name_{language_of(language)}") or category.get("name_id")
                or str(report.get("category")))

    # ---- audiences -----------------------------------------------------------------------

    def for_reporter(self, event_key: str, body: dict[str, Any], report: dict[str, Any]
                     ) -> list[Notice]:
        if event_key == "report.sla_breached":
            return []
        status = event_status(event_key, body, report)
        if status not in REPORTER_STATUSES:
            return []
        reporter = report.get("reporter") or {}
        language = language_of(reporter.get("language"))
        link = tracking_link(self.settings, report)
        agency = None
        if status == "forwarded":
            codes = body.get("agencies") or [a["code"] for a in report.get("agencies") or []]
            agency = ", ".join(self.agency_name(report["city"], c, language) for c in codes)
        notices = []
        if reporter.get("email"):
            notices.append(Notice("reporter", "email", reporter["email"], email=(
                templates.render_status_message(language, report["code"], status, link,
                                                agency or None))))
        phone = normalize_phone(reporter.get("phone") or "")
        if phone and sms_enabled(self.settings):
            notices.append(Notice("reporter", "sms", phone, sms=templates.render_status_sms(
                language, report["code"], status, link)))
        return notices

    def for_liaisons(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        codes = body.get("agencies") or [a["code"] for a in report.get("agencies") or []]
        notices = []
        for code in codes:
            if not isinstance(code, str):
                continue
            for contact in contacts.liaisons(self.db, report["city"], code):
                lang = contact.language
                name = self.agency_name(report["city"], code, lang)
                summary = privacy.staff_summary(report, self.category_name(report, lang))
                notices += self._to_staff(
                    contact,
                    lambda lang=lang, name=name, summary=summary: templates.render_agency_forwarded(
                        lang, name, summary, tracking_link(self.settings, report)),
                    templates.render_agency_forwarded_sms(lang, name, report["code"]))
        return notices

    def for_escalation(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        city = report["city"]
        code = body.get("agency") if isinstance(body.get("agency"), str) else None
        due = local_time(body.get("due_at"), city)
        notices = []
        for contact in contacts.escalation(self.db, city, code, body.get("escalate_to")):
            lang = contact.language
            name = self.agency_name(city, code, lang) if code else None
            summary = privacy.staff_summary(report, self.category_name(report, lang))
            notices += self._to_staff(
                contact,
                lambda lang=lang, name=name, summary=summary: templates.render_sla_breach(
                    lang, body.get("kind", "follow_up"), name, due, summary,
                    tracking_link(self.settings, report)),
                templates.render_sla_breach_sms(lang, report["code"], name, due))
        return notices

    def _to_staff(self, contact: Contact, render_email, sms_text: str) -> list[Notice]:
        notices = []
        if contact.email:
            notices.append(Notice(contact.role, "email", contact.email, email=render_email()))
        phone = normalize_phone(contact.phone or "")
        if phone and sms_enabled(self.settings):
            notices.append(Notice(contact.role, "sms", phone, sms=sms_text))
        return notices


def _one_per_address(notices: list[Notice]) -> list[Notice]:
    """A person who is, say, both head of agency and leader hears once per channel."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for notice in notices:
        key = (notice.channel, notice.address.strip().lower())
        if key not in seen:
            seen.add(key)
            unique.append(notice)
    return unique
