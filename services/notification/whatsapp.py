"""Status messages to a WhatsApp reporter's chat: the reports filed through the WhatsApp bot
(channel `whatsapp`) hear of their later steps, the answers staff gave with them and staff
comments in the same chat the bot used, instead of by SMS (the bot itself answered the filing
with the tracking code, so `submitted` is not sent again).

WhatsApp lets a business write freely only within 24 hours of the resident's last message
(the "customer service window", counted from `wa_conversations.last_inbound_at`,
aduan/infra/whatsapp_reach.py); outside it only an approved template may be sent. So each
message has both forms and the notifier picks one when it sends (not when it plans: a retry
may come after the window closed):
- inside: a text message, the words of the status SMS plus the staff's answer;
- outside: the template ADUAN_WHATSAPP_STATUS_TEMPLATE, which each city registers with Meta
  (category UTILITY) in Bahasa Indonesia ("id") and English ("en") with three body parameters:
  {{1}} the tracking code, {{2}} the new status (or who commented), {{3}} the tracking link;
  e.g. "Laporan {{1}}: {{2}}. Lihat {{3}}".
Should Meta still answer 131047 (the window closed meanwhile), the template is sent instead.

Numbers that said STOP (`wa_optouts`) get nothing: the notifier refuses the delivery for good.
Sent through the one Graph API client (aduan/infra/whatsapp_graph.py), the channels service's
too: 2xx sent (the message id kept); what it calls unavailable (408, 429, 5xx, no answer,
401/403 of a token being rotated) is retried; any other 4xx refuses the message for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aduan.domain.status_names import language_of, status_name
from aduan.infra.config import Settings
from aduan.infra.whatsapp_graph import (
    GraphApi,
    WhatsAppRefused,
    WhatsAppUnavailable,
)
from aduan.infra.whatsapp_reach import wa_id_of
from services.notification import templates
from services.notification.deliveries import DeliveryFailed, DeliveryRejected

# Meta's error for a free-form message outside the 24-hour window.
REENGAGEMENT_REQUIRED = 131047
TEMPLATE_LANGUAGES = {"id": "id", "en": "en"}
MAX_TEXT = 4096  # a WhatsApp text message's limit
MAX_PARAMETER = 1024  # a template parameter's


@dataclass(frozen=True)
class WhatsAppMessage:
    text: str  # inside the window
    parameters: tuple[str, str, str]  # the template's {{1}}..{{3}}, outside it
    language: str


def _one_line(text: str) -> str:
    """Template parameters take no newlines, tabs or runs of spaces."""
    return " ".join(text.split())


def status_message(language: str, code: str, status: str, link: str,
                   referral: templates.Referral | None, report_type: str | None,
                   answer: str | None) -> WhatsAppMessage:
    """A step of the report, with the answer staff gave with it."""
    lang = language_of(language)
    text = templates.render_status_sms(lang, code, status, link, referral, report_type)
    name = status_name(lang, status, report_type)
    if referral is not None:  # where to turn now, as the status SMS says it
        name += {"id": f" ke {referral.name}", "en": f" to {referral.name}"}[lang]
        name += f" {referral.phone}" if referral.phone else ""
    if answer:
        text += "\n\n" + {"id": "Tanggapan", "en": "Answer"}[lang] + f": {answer}"
        name = f"{name}. {_one_line(answer)}"
    return WhatsAppMessage(text, (code, name, link), lang)


def comment_message(language: str, code: str, author: str, comment: str, link: str
                    ) -> WhatsAppMessage:
    """A comment of the staff handling the report, with its words."""
    lang = language_of(language)
    text = templates.render_comment_to_reporter_sms(lang, code, author, link)
    return WhatsAppMessage(f"{text}\n\n{comment}", (code, _one_line(f"{author}: {comment}"),
                                                    link), lang)


def request_body(settings: Settings, to: str, message: WhatsAppMessage, in_window: bool
                 ) -> dict[str, Any]:
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                            "to": wa_id_of(to)}
    if in_window:
        return {**body, "type": "text",
                "text": {"preview_url": False, "body": message.text[:MAX_TEXT]}}
    return {**body, "type": "template", "template": {
        "name": settings.whatsapp_status_template,
        "language": {"code": TEMPLATE_LANGUAGES.get(message.language, "id")},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": value[:MAX_PARAMETER] or "-"}
            for value in message.parameters]}]}}


def send_whatsapp(api: GraphApi, settings: Settings, to: str, message: WhatsAppMessage,
                  in_window: bool) -> str:
    """Sends one message; returns the API's status. Errors never quote the number."""
    try:
        try:
            sent = api.send(wa_id_of(to), request_body(settings, to, message, in_window))
        except WhatsAppRefused as refused:
            if not (in_window and refused.code == REENGAGEMENT_REQUIRED):
                raise
            in_window = False  # the window closed meanwhile, at Meta's count
            sent = api.send(wa_id_of(to), request_body(settings, to, message, in_window))
    except WhatsAppRefused as refused:
        kind = "text" if in_window else "template"
        raise DeliveryRejected(f"HTTP {refused.status} {kind} error {refused.code}") from None
    except WhatsAppUnavailable as unavailable:
        raise DeliveryFailed(str(unavailable)) from None
    kind = "text" if in_window else "template"
    return f"HTTP {sent.status} {kind} id={sent.message_id}" if sent.message_id \
        else f"HTTP {sent.status} {kind}"
