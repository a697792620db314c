"""The SMS channel's own answers (the tracking code itself comes with the notifier's receipt
of `report.submitted`), in Bahasa Indonesia and English. An SMS is short: one line each."""

from __future__ import annotations

from aduan.domain.status_names import language_of

# The example every answer shows; the keywords listed are the first few of the city's.
SHOWN_KEYWORDS = 8


def how_to(language: str, keywords: list[str]) -> str:
    lang = language_of(language)
    words = ", ".join(keywords[:SHOWN_KEYWORDS])
    return {"id": f"Aduan: untuk melapor kirim KATA KUNCI lokasi # keterangan, mis. SAMPAH "
                  f"Jl. Sudirman # sampah menumpuk 3 hari. Kata kunci: {words}. "
                  "STOP untuk berhenti.",
            "en": f"Aduan: to report, send KEYWORD place # what happened, e.g. WASTE "
                  f"Jl. Sudirman # rubbish piling up for 3 days. Keywords: {words}. "
                  "STOP to stop."}[lang]


def incomplete(language: str, keyword: str) -> str:
    lang = language_of(language)
    return {"id": f"Aduan: laporan belum lengkap. Kirim {keyword} lokasi # keterangan "
                  "(minimal 10 huruf).",
            "en": f"Aduan: the report is incomplete. Send {keyword} place # what happened "
                  "(at least 10 letters)."}[lang]


def stopped(language: str) -> str:
    return {"id": "Aduan: Anda tidak akan menerima SMS lagi. Kirim MULAI untuk menerimanya "
                  "kembali.",
            "en": "Aduan: you will get no more SMS. Send START to get them again."
            }[language_of(language)]


def started(language: str) -> str:
    return {"id": "Aduan: Anda akan menerima SMS tentang laporan Anda lagi.",
            "en": "Aduan: you will get SMS about your reports again."}[language_of(language)]


def comment_received(language: str, code: str) -> str:
    return {"id": f"Aduan: tanggapan Anda untuk laporan {code} sudah diteruskan ke petugas.",
            "en": f"Aduan: your reply on report {code} was passed on to the staff."
            }[language_of(language)]


def comment_refused(language: str, code: str) -> str:
    return {"id": f"Aduan: tanggapan untuk laporan {code} tidak dapat diterima saat ini.",
            "en": f"Aduan: your reply on report {code} cannot be taken right now."
            }[language_of(language)]


def refused(language: str) -> str:
    return {"id": "Aduan: laporan tidak dapat diterima. Periksa isi SMS Anda dan kirim lagi.",
            "en": "Aduan: the report could not be taken. Check your SMS and send it again."
            }[language_of(language)]
