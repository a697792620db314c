"""Who hears what, and in which words (docs/NOTIFICATIONS.md has the table).

- The reporter, if they left an email address or phone number, on every step that matters to
  them (REPORTER_STATUSES), in their language, with their tracking link (the console's page
  with their token in the fragment, `aduan.infra.tracking_links`), the answer staff gave with
  the step (`public_response`) and, for a referral, the body and how to reach it.
- report.commented: a staff comment goes to the reporter; the reporter's comment to the admins
  of the agencies holding the report (the operators while none does).
- report.referred: the vertical body's complaints desk, where the catalogue has its email.
- Residents following a public report ("me too", `for_followers`), once confirmed: its public
  steps and the staff's comments, with the public tracking page and, by email, the link that
  stops them; never anything of the reporter. report.follow_requested: the one message to a
  pending follower, with the link that confirms (`for_follow_request`).
- Staff, found in the city's users by role (`contacts`), on the events of STAFF_EVENTS:
  report.forwarded: the liaison admins of each agency it went to; report.sla_breached: for a
  forward deadline the leaders and operators, for an agency's follow-up or resolution target
  the agency's heads and the leaders (plus whoever the escalation names); report.escalated:
  the agency's heads; report.dispatched: the officers named; report.evidence_flagged: the
  agency's admins; report.returned: the operators.
(The leaders' daily digest is `services.notification.digest`; webhooks are `webhooks`.)

Staff get the report through `privacy.staff_summary`, which withholds the identity of an
anonymous or confidential reporter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.database import Database

from aduan.domain.followers import FOLLOW_REQUESTED, followers_told, pending_follower
from aduan.domain.lifecycle import COMMENTED, EVENT_KEYS, agency_holds
from aduan.domain.report_types import type_of
from aduan.domain.status_names import language_of
from aduan.domain.time_zones import zone_name
from aduan.infra.catalogue import cities
from aduan.infra.catalogue_cache import CatalogueCache
from aduan.infra.config import Settings
from aduan.infra.follower_tokens import FOLLOW, UNFOLLOW, follower_link
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.tokens import RECOVERY_TTL, recovery_code
from aduan.infra.tracking_links import reporter_link, staff_page, tracking_page
from aduan.infra.versioned_cache import Versions
from aduan.infra.whatsapp_graph import whatsapp_enabled
from services.notification import contacts, privacy, templates
from services.notification.contacts import Contact, normalize_phone
from services.notification.push_message import PushMessage
from services.notification.sms import sms_enabled
from services.notification.templates import Rendered, ReportSummary
from services.notification.whatsapp import WhatsAppMessage, comment_message, status_message

REPORTER_STATUSES = frozenset({
    "submitted", "needs_review", "rejected", "forwarded", "referred", "accepted",
    "in_progress", "resolved", "closed", "reopened", "archived",
})
# The status an event stands for when its body does not name one.
KEY_STATUS = {"report.submitted": "submitted",
              **{key: status for status, key in EVENT_KEYS.items()}}
# The reporter asked for a one-time code (services/intake/recovery.py): only they hear of it,
# never a webhook; the event carries the nonce the code is made from, not the code.
RECOVERY_REQUESTED = "report.recovery_requested"
# Events only staff hear of (the reporter is told of status changes, not of these).
STAFF_EVENTS = frozenset({"report.sla_breached", "report.escalated", "report.dispatched",
                          "report.evidence_flagged", "report.returned"})


@dataclass(frozen=True)
class Notice:
    """One message to one address over one channel."""

    audience: str  # reporter | agency_admin | agency_head | leader | another staff role
    channel: str  # email | sms | whatsapp | push
    address: str  # push: the device's endpoint
    email: Rendered | None = None
    sms: str | None = None
    whatsapp: WhatsAppMessage | None = None
    push: PushMessage | None = None


def event_status(event_key: str, body: dict[str, Any], report: dict[str, Any]) -> str:
    return body.get("status") or KEY_STATUS.get(event_key) or report["status"]


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
    return f"{local:%d-%m-%Y %H:%M} {zone_name(zone)}"


class Planner:
    def __init__(self, settings: Settings, db: Database,
                 catalogue: CatalogueCache | None = None,
                 people: contacts.StaffCache | None = None) -> None:
        self.settings = settings
        self.db = db
        # Who holds which role: the worker's per-process copy, or the database each time.
        self.people: contacts.People = people or db
        # Agencies' and categories' names: the worker's per-process copy, read again when
        # changed; without one, read each time.
        self.catalogue = catalogue or CatalogueCache(Versions(db, 0.0), max_age_s=0.0)

    def anyone_hears(self, event_key: str, body: dict[str, Any]) -> bool:
        """False when `plan` would tell no one of this event, whatever its report says."""
        if event_key in ("report.forwarded", COMMENTED, RECOVERY_REQUESTED, FOLLOW_REQUESTED) \
                or event_key in STAFF_EVENTS:
            return True
        status = body.get("status") or KEY_STATUS.get(event_key)
        return status is None or status in REPORTER_STATUSES

    def plan(self, event_key: str, body: dict[str, Any], report: dict[str, Any]
             ) -> list[Notice]:
        if event_key == RECOVERY_REQUESTED:
            return self.for_recovery(body, report)
        if event_key == FOLLOW_REQUESTED:
            return self.for_follow_request(body, report)
        if event_key == COMMENTED:
            return _one_per_address(self.for_comment(body, report)
                                    + self.for_followers(event_key, body, report))
        notices = self.for_reporter(event_key, body, report)
        notices += self.for_followers(event_key, body, report)
        if event_key == "report.forwarded":
            notices += self.for_liaisons(body, report)
        elif event_key == "report.sla_breached":
            notices += self.for_escalation(body, report)
        elif event_key == "report.escalated":
            notices += self.for_heads(body, report)
        elif event_key == "report.dispatched":
            notices += self.for_officers(body, report)
        elif event_key == "report.evidence_flagged":
            notices += self.for_flagged_evidence(body, report)
        elif event_key == "report.returned":
            notices += self.for_operators(report)
        elif event_key == "report.referred":
            notices += self.for_vertical_body(body, report)
        return _one_per_address(notices)

    # ---- names ---------------------------------------------------------------------------

    def agency_name(self, city: str, code: str, language: str) -> str:
        agency = self.catalogue.agency(city, code) or {}
        return agency.get(f"name_{language_of(language)}") or agency.get("name_id") or code

    def comment_author(self, report: dict[str, Any], comment: dict[str, Any], language: str
                       ) -> str:
        """Who a comment is from, as residents are told: the agency's name, else the role."""
        agency = comment.get("agency")
        if isinstance(agency, str) and agency:
            return self.agency_name(report["city"], agency, language)
        return templates.commenter_name(language, str(comment.get("by")))

    def category_name(self, report: dict[str, Any], language: str) -> str:
        category = self.catalogue.category_of(report) or {}
        return (category.get(f"name_{language_of(language)}") or category.get("name_id")
                or str(report.get("category")))

    # ---- audiences -----------------------------------------------------------------------

    def for_reporter(self, event_key: str, body: dict[str, Any], report: dict[str, Any]
                     ) -> list[Notice]:
        if event_key in STAFF_EVENTS:
            return []
        status = event_status(event_key, body, report)
        if status not in REPORTER_STATUSES:
            return []
        reporter = report.get("reporter") or {}
        language = language_of(reporter.get("language"))
        link = reporter_link(self.settings, report)  # the token in the fragment: theirs only
        agency = None
        if status == "forwarded":
            codes = body.get("agencies") or [a["code"] for a in report.get("agencies") or []]
            agency = ", ".join(self.agency_name(report["city"], c, language) for c in codes)
        referral = _referral(body, report, language) if status == "referred" else None
        answer = public_response(body, report)
        notices = []
        if reporter.get("email"):
            notices.append(Notice("reporter", "email", reporter["email"], email=(
                templates.render_status_message(language, report["code"], status, link,
                                                agency or None, answer, referral,
                                                report_type=type_of(report)))))
        phone = normalize_phone(reporter.get("phone") or "")
        if phone and self.by_whatsapp(report):
            if status != "submitted":  # the bot answered the filing with the code itself
                notices.append(Notice("reporter", "whatsapp", phone, whatsapp=status_message(
                    language, report["code"], status, link, referral, type_of(report),
                    answer)))
        elif phone and sms_enabled(self.settings):
            text = templates.render_status_sms(language, report["code"], status, link,
                                               referral, type_of(report))
            if report.get("channel") == "sms" and status == "submitted":
                text += templates.sms_reply_hint(language)
            notices.append(Notice("reporter", "sms", phone, sms=text))
        return notices

    def by_whatsapp(self, report: dict[str, Any]) -> bool:
        """A report filed through the WhatsApp bot hears back in that chat, not by SMS."""
        return report.get("channel") == "whatsapp" and whatsapp_enabled(self.settings)

    def for_recovery(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        """The one-time code, to the contact of the reporter the request named (`channel`),
        made from the event's nonce as intake checks it."""
        nonce, channel = body.get("nonce"), body.get("channel")
        if not isinstance(nonce, str) or not nonce:
            return []
        reporter = report.get("reporter") or {}
        language = language_of(reporter.get("language"))
        otp = recovery_code(reporter_token_keys(self.settings), report["_id"], nonce)
        minutes = int(RECOVERY_TTL.total_seconds() // 60)
        if channel == "email" and reporter.get("email"):
            return [Notice("reporter", "email", reporter["email"],
                           email=templates.render_recovery_code(language, report["code"], otp,
                                                                minutes))]
        phone = normalize_phone(reporter.get("phone") or "")
        if channel == "sms" and phone and sms_enabled(self.settings):
            return [Notice("reporter", "sms", phone, sms=templates.render_recovery_code_sms(
                language, report["code"], otp, minutes))]
        return []

    def for_follow_request(self, body: dict[str, Any], report: dict[str, Any]
                           ) -> list[Notice]:
        """report.follow_requested: the pending follower it names, while still pending, is
        asked to confirm (double opt-in) with their own link; nothing of the reporter."""
        follower = pending_follower(report, body.get("follower_id"), datetime.now(UTC))
        if follower is None:
            return []
        language = language_of(follower.get("language"))
        confirm = follower_link(self.settings, FOLLOW, report, str(follower["id"]))
        if follower.get("email"):
            return [Notice("follower", "email", follower["email"],
                           email=templates.render_follow_confirmation(
                               language, report["code"], confirm))]
        phone = normalize_phone(follower.get("phone") or "")
        if phone and sms_enabled(self.settings):
            return [Notice("follower", "sms", phone, sms=templates.render_follow_confirmation_sms(
                language, report["code"], confirm))]
        return []

    def for_comment(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        """report.commented: the other side hears. The reporter's comment goes to the admins
        of the agencies holding the report (the operators when none does); a staff comment
        (every comment is public) goes to the reporter."""
        comment = event_comment(body, report)
        if comment is None:
            return []
        if comment.get("by") == "reporter":
            return self.for_handlers(comment, report)
        reporter = report.get("reporter") or {}
        language = language_of(reporter.get("language"))
        agency = comment.get("agency")
        author = self.agency_name(report["city"], agency, language) if agency else \
            templates.commenter_name(language, str(comment.get("by")))
        link = reporter_link(self.settings, report)
        notices = []
        if reporter.get("email"):
            notices.append(Notice("reporter", "email", reporter["email"],
                                  email=templates.render_comment_to_reporter(
                                      language, report["code"], author, comment["text"], link)))
        phone = normalize_phone(reporter.get("phone") or "")
        if phone and self.by_whatsapp(report):
            notices.append(Notice("reporter", "whatsapp", phone, whatsapp=comment_message(
                language, report["code"], author, comment["text"], link)))
        elif phone and sms_enabled(self.settings):
            notices.append(Notice("reporter", "sms", phone,
                                  sms=templates.render_comment_to_reporter_sms(
                                      language, report["code"], author, link)))
        return notices

    def for_handlers(self, comment: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        """The reporter commented: the admins of each agency holding the report, or the
        city's operators while no agency holds it."""
        holding = [a["code"] for a in report.get("agencies") or []
                   if agency_holds(report, a.get("code"))]
        text = str(comment.get("text") or "")
        if not holding:
            return self._tell(contacts.operators(self.people, report["city"]), report, None,
                              lambda lang, name, summary, link: (
                                  templates.render_reporter_commented(lang, None, text, summary,
                                                                      link),
                                  templates.render_reporter_commented_sms(lang, report["code"])))
        notices = []
        for code in dict.fromkeys(holding):
            found = contacts.liaisons(self.people, report["city"], code)
            notices += self._tell(found, report, code,
                                  lambda lang, name, summary, link: (
                                      templates.render_reporter_commented(lang, name, text,
                                                                          summary, link),
                                      templates.render_reporter_commented_sms(lang,
                                                                              report["code"])))
        return notices

    def for_vertical_body(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        """report.referred: the vertical body's complaints desk gets the report by email, where
        the catalogue has its `contact.email` (as the catalogue is now: it may have gained one)."""
        referral = body.get("referral") if isinstance(body.get("referral"), dict) else \
            report.get("referral") or {}
        code = referral.get("code")
        if not isinstance(code, str):
            return []
        doc = self.catalogue.agency(report["city"], code) or {}
        email = ((doc.get("contact") or {}).get("email")
                 or (referral.get("contact") or {}).get("email"))
        if not isinstance(email, str) or not email:
            return []
        lang = "id"
        name = doc.get("name_id") or referral.get("name_id") or code
        city = cities().get(report["city"], {}).get("name", report["city"])
        summary = privacy.staff_summary(report, self.category_name(report, lang))
        return [Notice("vertical_body", "email", email,
                       email=templates.render_vertical_body_referral(
                           lang, name, city, summary,
                           tracking_page(self.settings, report["code"])))]

    def for_followers(self, event_key: str, body: dict[str, Any], report: dict[str, Any]
                      ) -> list[Notice]:
        """Residents following the report ("me too", `aduan.domain.followers`), while it is
        public: its public steps (with the answer given with them) and the comments of the
        staff handling it, with the public tracking page; nothing of the reporter."""
        if event_key in STAFF_EVENTS:
            return []
        comment = event_comment(body, report) if event_key == COMMENTED else None
        if event_key == COMMENTED and (comment is None or comment.get("by") == "reporter"):
            return []
        status = None if comment is not None else event_status(event_key, body, report)
        link = tracking_page(self.settings, report["code"])
        answer = public_response(body, report) if comment is None else None
        notices = []
        for follower in followers_told(report, status):
            language = language_of(follower.get("language"))
            stop = follower_link(self.settings, UNFOLLOW, report, str(follower.get("id")))
            if comment is not None:
                author = self.comment_author(report, comment, language)
                email = templates.render_follower_comment(language, report["code"], author,
                                                          str(comment.get("text") or ""), link,
                                                          stop)
                sms = templates.render_comment_to_reporter_sms(language, report["code"],
                                                               author, link)
            else:
                email = templates.render_follower_status(language, report["code"],
                                                         str(status), link, stop, answer)
                sms = templates.render_follower_status_sms(language, report["code"],
                                                           str(status), link)
            if follower.get("email"):
                notices.append(Notice("follower", "email", follower["email"], email=email))
            phone = normalize_phone(follower.get("phone") or "")
            if phone and sms_enabled(self.settings):
                notices.append(Notice("follower", "sms", phone, sms=sms))
        return notices

    def for_liaisons(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        codes = body.get("agencies") or [a["code"] for a in report.get("agencies") or []]
        notices = []
        for code in codes:
            if not isinstance(code, str):
                continue
            found = contacts.liaisons(self.people, report["city"], code)
            notices += self._tell(found, report, code, lambda lang, name, summary, link: (
                templates.render_agency_forwarded(lang, name or "", summary, link),
                templates.render_agency_forwarded_sms(lang, name or "", report["code"])))
        return notices

    def for_escalation(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        city = report["city"]
        code = _agency_of(body)
        kind = body.get("kind") if isinstance(body.get("kind"), str) else "follow_up"
        due = local_time(body.get("due_at"), city)
        found = contacts.escalation(self.people, city, code, kind, body.get("escalate_to"))
        return self._tell(found, report, code, lambda lang, name, summary, link: (
            templates.render_sla_breach(lang, kind, name, due, summary, link),
            templates.render_sla_breach_sms(lang, report["code"], name, due)))

    def for_heads(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        """report.escalated: an operator or the agency's admin asks its head to step in."""
        code = _agency_of(body)
        if code is None:
            return []
        note = body.get("note") if isinstance(body.get("note"), str) else None
        by_role = body.get("by_role") if isinstance(body.get("by_role"), str) else None
        found = contacts.heads(self.people, report["city"], code)
        return self._tell(found, report, code, lambda lang, name, summary, link: (
            templates.render_escalated(lang, name or code, note, by_role, summary, link),
            templates.render_escalated_sms(lang, report["code"], name or code)))

    def for_officers(self, body: dict[str, Any], report: dict[str, Any]) -> list[Notice]:
        """report.dispatched: the officers the agency's admin assigned (new ones only: the
        event names those this dispatch added)."""
        code = _agency_of(body)
        ids = body.get("officers") if isinstance(body.get("officers"), list) else []
        found = contacts.officers(self.people, report["city"], code, ids)
        return self._tell(found, report, code, lambda lang, name, summary, link: (
            templates.render_dispatched(lang, name or str(code), summary, link),
            templates.render_dispatched_sms(lang, report["code"], name or str(code))))

    def for_flagged_evidence(self, body: dict[str, Any], report: dict[str, Any]
                             ) -> list[Notice]:
        """report.evidence_flagged: the agency's admins check an officer's resolution."""
        code = _agency_of(body)
        if code is None:
            return []
        officer = self._officer_name(report["city"], body.get("officer"))
        reasons = [r for r in body.get("reasons") or [] if isinstance(r, str)]
        found = contacts.liaisons(self.people, report["city"], code)
        return self._tell(found, report, code, lambda lang, name, summary, link: (
            templates.render_evidence_flagged(lang, name or code, officer, reasons, summary,
                                              link),
            templates.render_evidence_flagged_sms(lang, report["code"], name or code)))

    def for_operators(self, report: dict[str, Any]) -> list[Notice]:
        """report.returned: a postponed report is back in the operators' queue."""
        found = contacts.operators(self.people, report["city"])
        return self._tell(found, report, None, lambda lang, name, summary, link: (
            templates.render_returned(lang, summary, link),
            templates.render_returned_sms(lang, report["code"])))

    def _officer_name(self, city: str, officer: Any) -> str | None:
        """The event names the officer by user id ({id, name} is taken too)."""
        if isinstance(officer, dict):
            return officer.get("name") or None
        if not isinstance(officer, str):
            return None
        user = self.db.users.find_one({"_id": officer, "city": city}, {"name": 1,
                                                                       "username": 1})
        return (user.get("name") or user.get("username")) if user else None

    def _tell(self, found: list[Contact], report: dict[str, Any], code: str | None,
              render: Callable[[str, str | None, ReportSummary, str], tuple[Rendered, str]]
              ) -> list[Notice]:
        """Each contact's email and SMS, in their language: `render(language, agency name,
        what staff may read of the report, link)` gives (email, SMS text)."""
        notices = []
        link = staff_page(self.settings, report["code"])
        for contact in found:
            lang = contact.language
            name = self.agency_name(report["city"], code, lang) if code else None
            summary = privacy.staff_summary(report, self.category_name(report, lang))
            email, sms_text = render(lang, name, summary, link)
            notices += self._to_staff(contact, email, sms_text)
        return notices

    def _to_staff(self, contact: Contact, email: Rendered, sms_text: str) -> list[Notice]:
        notices = []
        if contact.email:
            notices.append(Notice(contact.role, "email", contact.email, email=email))
        phone = normalize_phone(contact.phone or "")
        if phone and sms_enabled(self.settings):
            notices.append(Notice(contact.role, "sms", phone, sms=sms_text))
        return notices


def event_comment(body: dict[str, Any], report: dict[str, Any]) -> dict[str, Any] | None:
    """The comment a report.commented event announces (None when the report has no such)."""
    wanted = body.get("comment_id")
    return next((c for c in report.get("comments") or []
                 if wanted and c.get("id") == wanted), None)


def _referral(body: dict[str, Any], report: dict[str, Any], language: str
              ) -> templates.Referral | None:
    referral = body.get("referral") if isinstance(body.get("referral"), dict) else \
        report.get("referral")
    if not isinstance(referral, dict) or not referral.get("code"):
        return None
    contact = referral.get("contact") if isinstance(referral.get("contact"), dict) else {}
    name = (referral.get(f"name_{language}") or referral.get("name_id")
            or str(referral["code"]))
    return templates.Referral(name, **{k: contact[k] for k in
                                       ("phone", "email", "website", "address")
                                       if isinstance(contact.get(k), str)})


def public_response(body: dict[str, Any], report: dict[str, Any]) -> str | None:
    """The answer staff gave with the step this event announces: the `public_response` of the
    newest history entry reaching its status at the event's time."""
    status, occurred = body.get("status"), _instant(body.get("occurred_at"))
    if not status or occurred is None:
        return None
    for entry in reversed(report.get("history") or []):
        at = _instant(entry.get("at"))
        if entry.get("to") == status and at is not None and abs(at - occurred) < SAME_WRITE:
            return entry.get("public_response") or None
    return None


# History times are stored at BSON's millisecond precision; the event has microseconds.
SAME_WRITE = timedelta(milliseconds=2)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _agency_of(body: dict[str, Any]) -> str | None:
    return body.get("agency") if isinstance(body.get("agency"), str) else None


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
