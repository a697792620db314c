"""Messages to reporters, in Bahasa Indonesia (default) and English."""

from __future__ import annotations

import html
from dataclasses import dataclass

STATUS_NAMES = {
    "id": {
        "submitted": "diterima", "verified": "terverifikasi", "needs_review": "diperiksa petugas",
        "rejected": "ditolak", "forwarded": "diteruskan ke instansi", "referred": "dirujuk",
        "accepted": "diterima instansi", "in_progress": "sedang dikerjakan",
        "resolved": "selesai ditangani", "closed": "ditutup", "reopened": "dibuka kembali",
    },
    "en": {
        "submitted": "received", "verified": "verified", "needs_review": "under review",
        "rejected": "rejected", "forwarded": "forwarded to the agency", "referred": "referred",
        "accepted": "accepted by the agency", "in_progress": "in progress",
        "resolved": "resolved", "closed": "closed", "reopened": "reopened",
    },
}

SUBJECT = {
    "id": "Laporan {code}: {status}",
    "en": "Report {code}: {status}",
}
BODY = {
    "id": (
        "Terima kasih atas laporan Anda.\n\n"
        "Status laporan {code} sekarang: {status}.{agency_line}\n\n"
        "Ikuti perkembangannya di: {link}\n\n"
        "Pesan ini dikirim otomatis oleh Aduan."
    ),
    "en": (
        "Thank you for your report.\n\n"
        "Report {code} is now: {status}.{agency_line}\n\n"
        "Follow its progress at: {link}\n\n"
        "This message was sent automatically by Aduan."
    ),
}
AGENCY_LINE = {"id": "\nInstansi yang menangani: {agency}.", "en": "\nHandled by: {agency}."}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_status_message(
    language: str, code: str, status: str, link: str, agency: str | None
) -> Rendered:
    lang = language if language in SUBJECT else "id"
    status_name = STATUS_NAMES[lang].get(status, status)
    agency_line = AGENCY_LINE[lang].format(agency=agency) if agency else ""
    text = BODY[lang].format(code=code, status=status_name, link=link, agency_line=agency_line)
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                         for p in text.split("\n\n"))
    return Rendered(
        subject=SUBJECT[lang].format(code=code, status=status_name),
        text=text,
        html=f'<!doctype html><html lang="{lang}"><body>{paragraphs}</body></html>',
    )
