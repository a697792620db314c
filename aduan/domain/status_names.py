"""What every status is called, in Bahasa Indonesia (the default) and English: the one source
for messages, Open311 and the console (which gets them from `console_names()`, served by the
gateway at /names.json). Pure data, no I/O.

Three forms, each for its own place:
- `LABELS`: the short name the console shows in lists, badges and histories ("Diteruskan");
  report statuses and an agency's own sub-statuses (handed back, withdrawn);
- `STATUS_NAMES`: the words inside a sentence ("Status laporan X sekarang: diteruskan ke
  instansi."), in messages to people;
- `STATUS_EXPLANATIONS`: what the status means for the reporter, in a sentence or two (the
  status message, Open311's status_notes).
The stage views' names (Kiniko, Sigap) are `aduan.domain.stages`'.
"""

from __future__ import annotations

from typing import Any

from aduan.domain.stages import NO_STAGE as NO_STAGE
from aduan.domain.stages import PRESETS

LANGUAGES = ("id", "en")

LABELS: dict[str, dict[str, str]] = {
    "submitted": {"id": "Terkirim", "en": "Submitted"},
    "verifying": {"id": "Diperiksa", "en": "Verifying"},
    "needs_review": {"id": "Perlu ditinjau", "en": "Needs review"},
    "verified": {"id": "Terverifikasi", "en": "Verified"},
    "postponed": {"id": "Ditunda", "en": "Postponed"},
    "forwarded": {"id": "Diteruskan", "en": "Forwarded"},
    "accepted": {"id": "Diterima", "en": "Accepted"},
    "in_progress": {"id": "Dikerjakan", "en": "In progress"},
    "reopened": {"id": "Dibuka lagi", "en": "Reopened"},
    "resolved": {"id": "Diselesaikan", "en": "Resolved"},
    "closed": {"id": "Ditutup", "en": "Closed"},
    "referred": {"id": "Dirujuk", "en": "Referred"},
    "rejected": {"id": "Ditolak", "en": "Rejected"},
    "archived": {"id": "Diarsipkan", "en": "Archived"},
    "duplicate": {"id": "Duplikat", "en": "Duplicate"},
    # An agency's own sub-statuses beyond the report's.
    "handed_back": {"id": "Dikembalikan", "en": "Handed back"},
    "withdrawn": {"id": "Ditarik", "en": "Withdrawn"},
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "id": {
        "submitted": "diterima", "verifying": "sedang diperiksa",
        "verified": "terverifikasi", "needs_review": "diperiksa petugas",
        "postponed": "ditunda", "rejected": "ditolak", "forwarded": "diteruskan ke instansi",
        "referred": "dirujuk", "accepted": "diterima instansi",
        "in_progress": "sedang dikerjakan", "resolved": "selesai ditangani",
        "closed": "ditutup", "reopened": "dibuka kembali", "archived": "diarsipkan",
        "duplicate": "duplikat laporan lain",
    },
    "en": {
        "submitted": "received", "verifying": "being checked", "verified": "verified",
        "needs_review": "under review", "postponed": "postponed", "rejected": "rejected",
        "forwarded": "forwarded to the agency", "referred": "referred",
        "accepted": "accepted by the agency", "in_progress": "in progress",
        "resolved": "resolved", "closed": "closed", "reopened": "reopened",
        "archived": "archived", "duplicate": "a duplicate of another report",
    },
}

STATUS_EXPLANATIONS: dict[str, dict[str, str]] = {
    "id": {
        "submitted": "Laporan Anda sudah kami terima dan sedang diperiksa.",
        "verifying": "Foto laporan sedang diperiksa.",
        "needs_review": "Petugas kami akan memeriksa laporan Anda secara langsung.",
        "verified": "Laporan Anda sudah diverifikasi dan akan diteruskan ke instansi yang "
                    "berwenang.",
        "postponed": "Laporan ditunda oleh petugas.",
        "rejected": "Laporan Anda tidak dapat diproses. Alasannya tercantum di halaman laporan.",
        "forwarded": "Laporan Anda sudah diteruskan ke instansi yang berwenang untuk "
                     "ditindaklanjuti.",
        "referred": "Masalah ini di luar kewenangan pemerintah kota; laporan Anda sudah dirujuk "
                    "ke instansi vertikal yang berwenang.",
        "accepted": "Instansi sudah menerima laporan Anda dan akan menindaklanjutinya.",
        "in_progress": "Instansi sedang menangani laporan Anda.",
        "resolved": "Instansi menyatakan masalah ini sudah selesai ditangani. Jika belum, Anda "
                    "dapat membuka kembali laporan ini.",
        "closed": "Laporan ini sudah ditutup. Terima kasih atas partisipasi Anda.",
        "reopened": "Laporan Anda dibuka kembali dan akan ditangani lagi.",
        "archived": "Laporan ini diarsipkan oleh petugas.",
        "duplicate": "Laporan ini sama dengan laporan lain yang sudah ada.",
    },
    "en": {
        "submitted": "We have received your report and are checking it.",
        "verifying": "The report's photo is being checked.",
        "needs_review": "One of our officers will check your report in person.",
        "verified": "Your report has been verified and will be forwarded to the responsible "
                    "agency.",
        "postponed": "The report was postponed by an officer.",
        "rejected": "Your report could not be accepted. The reasons are shown on the report's "
                    "page.",
        "forwarded": "Your report has been forwarded to the responsible agency for follow-up.",
        "referred": "This matter is outside the city's authority; your report has been referred "
                    "to the responsible national body.",
        "accepted": "The agency has accepted your report and will follow it up.",
        "in_progress": "The agency is working on your report.",
        "resolved": "The agency says the problem has been resolved. If it has not, you can "
                    "reopen the report.",
        "closed": "This report is closed. Thank you for taking part.",
        "reopened": "Your report has been reopened and will be handled again.",
        "archived": "This report has been archived by an officer.",
        "duplicate": "This report duplicates an earlier one.",
    },
}


# What each report type is called (aduan.domain.report_types), and the statuses a type names
# its own way: an information request is answered, an aspiration followed up, not "resolved".
TYPE_NAMES: dict[str, dict[str, str]] = {
    "complaint": {"id": "Pengaduan", "en": "Complaint"},
    "aspiration": {"id": "Aspirasi", "en": "Aspiration"},
    "information_request": {"id": "Permintaan informasi", "en": "Information request"},
}
TYPE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "information_request": {"resolved": {"id": "Dijawab", "en": "Answered"}},
    "aspiration": {"resolved": {"id": "Ditindaklanjuti", "en": "Followed up"}},
}
TYPE_STATUS_NAMES: dict[str, dict[str, dict[str, str]]] = {
    "information_request": {"id": {"resolved": "dijawab"}, "en": {"resolved": "answered"}},
    "aspiration": {"id": {"resolved": "ditindaklanjuti"}, "en": {"resolved": "followed up"}},
}
TYPE_EXPLANATIONS: dict[str, dict[str, dict[str, str]]] = {
    "information_request": {
        "id": {"resolved": "Instansi sudah menjawab permintaan informasi Anda; jawabannya "
                           "tercantum di halaman laporan. Jika belum terjawab, Anda dapat "
                           "membuka kembali laporan ini."},
        "en": {"resolved": "The agency has answered your request for information; the answer "
                           "is on the report's page. If it does not answer it, you can reopen "
                           "the report."},
    },
    "aspiration": {
        "id": {"resolved": "Instansi sudah menindaklanjuti aspirasi Anda; tanggapannya "
                           "tercantum di halaman laporan."},
        "en": {"resolved": "The agency has followed up your suggestion; its response is on "
                           "the report's page."},
    },
}


def language_of(value: str | None) -> str:
    """The language to speak: Bahasa Indonesia unless English is asked for."""
    return value if value in LANGUAGES else "id"


def status_name(language: str | None, status: str, report_type: str | None = None) -> str:
    """The status in a sentence (as the report's type names it); an unknown status as its
    code."""
    lang = language_of(language)
    own = TYPE_STATUS_NAMES.get(report_type or "", {}).get(lang, {})
    return own.get(status) or STATUS_NAMES[lang].get(status, status)


def explanation(language: str | None, status: str, report_type: str | None = None
                ) -> str | None:
    lang = language_of(language)
    own = TYPE_EXPLANATIONS.get(report_type or "", {}).get(lang, {})
    return own.get(status) or STATUS_EXPLANATIONS[lang].get(status)


def label(language: str | None, status: str, report_type: str | None = None) -> str:
    """The status as the console shows it; an unknown status as its code."""
    names = TYPE_LABELS.get(report_type or "", {}).get(status) or LABELS.get(status)
    return names[language_of(language)] if names else status


def type_name(language: str | None, report_type: str) -> str:
    names = TYPE_NAMES.get(report_type)
    return names[language_of(language)] if names else report_type


def console_names() -> dict[str, Any]:
    """What the console needs to name statuses and stages in both languages; each stage view
    (Kiniko, Sigap and the other presets) as a list, in its order, ending with "none" (outside
    the pipeline). Which view each city shows is served beside it (`web.install_console`)."""
    return {"statuses": LABELS,
            "stages": {name: view.names() for name, view in PRESETS.items()},
            "types": TYPE_NAMES, "type_statuses": TYPE_LABELS}
