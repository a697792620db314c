"""The words of a Web Push notification, in Bahasa Indonesia or English (the language the
device subscribed with). A lock screen shows them to whoever holds the phone, and they pass
through the browser vendor's push service: so they say which report moved and to which step,
or who answered, never what anyone wrote (description, comment, answer) nor anything of the
reporter; the app shows the rest once opened."""

from __future__ import annotations

from aduan.domain.status_names import label, language_of, status_name
from services.notification.push_subscriptions import REPORTER

_STATUS_BODY = {
    ("id", True): "Status laporan Anda sekarang: {status}.",
    ("id", False): "Laporan yang Anda ikuti sekarang: {status}.",
    ("en", True): "Your report is now {status}.",
    ("en", False): "The report you follow is now {status}.",
}
_ANSWERED = {"id": " Ada tanggapan petugas; buka untuk membacanya.",
             "en": " Staff left an answer; open it to read."}
_COMMENT_TITLE = {"id": "Tanggapan baru: {code}", "en": "New response: {code}"}
_COMMENT_BODY = {
    ("id", True): "{author} menanggapi laporan Anda. Buka untuk membacanya.",
    ("id", False): "{author} menanggapi laporan yang Anda ikuti. Buka untuk membacanya.",
    ("en", True): "{author} responded to your report. Open it to read.",
    ("en", False): "{author} responded to the report you follow. Open it to read.",
}


def status_texts(language: str, role: str, code: str, status: str, report_type: str,
                 answered: bool) -> tuple[str, str]:
    """(title, body) of a step the report reached."""
    lang = language_of(language)
    title = f"{code}: {label(lang, status, report_type)}"
    body = _STATUS_BODY[(lang, role == REPORTER)].format(
        status=status_name(lang, status, report_type))
    return title, body + (_ANSWERED[lang] if answered else "")


def comment_texts(language: str, role: str, code: str, author: str) -> tuple[str, str]:
    """(title, body) of a comment the staff handling the report wrote."""
    lang = language_of(language)
    return (_COMMENT_TITLE[lang].format(code=code),
            _COMMENT_BODY[(lang, role == REPORTER)].format(author=author))
