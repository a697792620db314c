"""Every message Aduan sends to people, in Bahasa Indonesia (default) and English (status
names: `aduan.domain.status_names`).

Each message is built as plain paragraphs (and, for the digest, one table); `_render` turns
them into the text part and an HTML part in which every value is escaped. SMS texts are short
single lines.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from aduan.domain.followers import PENDING_TTL
from aduan.domain.status_names import explanation, language_of, status_name, type_name

FOOTER = {"id": "Pesan ini dikirim otomatis oleh Aduan.",
          "en": "This message was sent automatically by Aduan."}
LINK_LABEL = {"id": "Ikuti perkembangannya di", "en": "Follow its progress at"}
STAFF_LINK_LABEL = {"id": "Laporan", "en": "Report"}
WITHHELD = {
    "anonymous": {"id": "dirahasiakan (laporan anonim)", "en": "withheld (anonymous report)"},
    "confidential": {"id": "dirahasiakan (laporan rahasia)",
                     "en": "withheld (confidential report)"},
    # To a body outside the city government (a referral's desk), whatever the report's privacy.
    "outside": {"id": "tidak dibagikan ke luar pemerintah kota",
                "en": "not shared outside the city government"},
}
NOT_PUBLIC = {"id": "Laporan ini rahasia: tidak tampil untuk publik.",
              "en": "This report is confidential: it is not shown to the public."}
PUBLIC_PAGE_LABEL = {"id": "Halaman publik laporan", "en": "The report's public page"}
UNNAMED = {"id": "tanpa nama", "en": "not given"}
ROLE_NAMES = {
    "operator": {"id": "operator", "en": "an operator"},
    "agency_admin": {"id": "admin instansi", "en": "the agency's admin"},
    "officer": {"id": "petugas lapangan", "en": "a field officer"},
    "leader": {"id": "pimpinan", "en": "a leader"},
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class ReportSummary:
    """What staff are told about a report; built by `privacy.staff_summary`, which decides
    what may be shown (never the identity of an anonymous or confidential reporter)."""

    code: str
    category: str
    location: str
    description: str | None
    reporter: str | None  # None: withheld, see `privacy`
    privacy: str
    status: str
    extra: dict[str, str] = field(default_factory=dict)
    type: str = "complaint"  # aduan.domain.report_types


def _render(language: str, subject: str, paragraphs: Sequence[str],
            link: tuple[str, str] | None = None, table: Table | None = None) -> Rendered:
    text_parts = list(paragraphs)
    html_parts = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs]
    if table is not None:
        text_parts.append("\n\n".join(
            "\n".join(f"{name}: {value}" for name, value in zip(table.header, row, strict=True))
            for row in table.rows))
        head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in table.rows)
        html_parts.append(f'<table border="1" cellpadding="4"><thead><tr>{head}</tr></thead>'
                          f"<tbody>{body}</tbody></table>")
    if link is not None:
        label, url = link
        text_parts.append(f"{label}: {url}")
        html_parts.append(f'<p>{html.escape(label)}: <a href="{html.escape(url, quote=True)}">'
                          f"{html.escape(url)}</a></p>")
    text_parts.append(FOOTER[language])
    html_parts.append(f"<p><small>{html.escape(FOOTER[language])}</small></p>")
    return Rendered(
        subject=subject,
        text="\n\n".join(text_parts),
        html=f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
             f"<title>{html.escape(subject)}</title></head><body>{''.join(html_parts)}"
             "</body></html>",
    )


# ---- the reporter -------------------------------------------------------------------------

@dataclass(frozen=True)
class Referral:
    """The vertical body a report was referred to, and how a resident reaches its desk."""

    name: str
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    address: str | None = None

    def how_to_reach(self, lang: str) -> str:
        labels = {"phone": ("Telepon", "Phone"), "email": ("Email", "Email"),
                  "website": ("Situs web", "Website"), "address": ("Alamat", "Address")}
        lines = [f"{labels[key][0 if lang == 'id' else 1]}: {value}"
                 for key in ("phone", "email", "website", "address")
                 if (value := getattr(self, key))]
        return "\n".join(lines)


def render_status_message(
    language: str, code: str, status: str, link: str, agency: str | None,
    public_response: str | None = None, referral: Referral | None = None,
    report_type: str | None = None,
) -> Rendered:
    """To the reporter: their report moved to `status` (`agency`: who handles it now;
    `public_response`: the answer staff gave with this step; `referral`: the vertical body
    it went to, and how to reach it; `report_type`: an information request is answered)."""
    lang = language_of(language)
    name = status_name(lang, status, report_type)
    now = {"id": f"Status laporan {code} sekarang: {name}.",
           "en": f"Report {code} is now: {name}."}[lang]
    if agency:
        now += {"id": f"\nInstansi yang menangani: {agency}.",
                "en": f"\nHandled by: {agency}."}[lang]
    thanks = {"id": "Terima kasih atas laporan Anda.", "en": "Thank you for your report."}[lang]
    paragraphs = [thanks, now]
    meaning = explanation(lang, status, report_type)
    if meaning:
        paragraphs.append(meaning)
    if referral is not None:
        intro = {"id": f"Laporan Anda dirujuk ke {referral.name}, yang berwenang menanganinya. "
                       "Anda juga dapat menghubungi mereka langsung:",
                 "en": f"Your report was referred to {referral.name}, which is in charge of "
                       "it. You can also contact them directly:"}[lang]
        reach = referral.how_to_reach(lang) or {
            "id": "(kontak belum tercatat)", "en": "(no contact on record)"}[lang]
        paragraphs.append(f"{intro}\n{reach}")
    if public_response:
        paragraphs.append({"id": "Tanggapan", "en": "Response"}[lang] + f":\n{public_response}")
    subject = {"id": f"Laporan {code}: {name}", "en": f"Report {code}: {name}"}[lang]
    return _render(lang, subject, paragraphs, (LINK_LABEL[lang], link))


def render_status_sms(language: str, code: str, status: str, link: str,
                      referral: Referral | None = None, report_type: str | None = None) -> str:
    lang = language_of(language)
    name = status_name(lang, status, report_type)
    to = ""
    if referral is not None:
        reach = f" {referral.phone}" if referral.phone else ""
        to = {"id": f" ke {referral.name}{reach}", "en": f" to {referral.name}{reach}"}[lang]
    return {"id": f"Aduan: laporan {code} {name}{to}. Lihat {link}",
            "en": f"Aduan: report {code} is {name}{to}. See {link}"}[lang]


def sms_reply_hint(language: str) -> str:
    """Said once, on the receipt of a report filed by SMS: a reply becomes a comment
    (services/channels/sms_inbound.py)."""
    return {"id": " Balas SMS ini untuk menambah keterangan.",
            "en": " Reply to this SMS to add details."}[language_of(language)]


def render_recovery_code(language: str, code: str, otp: str, minutes: int) -> Rendered:
    """To the reporter who asked to follow their report on another device: the one-time code.
    No link: the code is typed on the page that asked for it. Not in the subject, which lock
    screens and mail logs show."""
    lang = language_of(language)
    subject = {"id": f"Kode akses laporan {code}",
               "en": f"Access code for report {code}"}[lang]
    body = {"id": f"Kode sekali pakai untuk mengikuti laporan {code} di perangkat lain: {otp}. "
                  f"Berlaku {minutes} menit.",
            "en": f"Your one-time code to follow report {code} on another device: {otp}. "
                  f"It works for {minutes} minutes."}[lang]
    ignore = {"id": "Bila Anda tidak memintanya, abaikan pesan ini: tanpa kode ini tidak ada "
                    "yang dapat mengakses laporan Anda.",
              "en": "If you did not ask for it, ignore this message: without the code no one "
                    "can reach your report."}[lang]
    return _render(lang, subject, [body, ignore])


def render_recovery_code_sms(language: str, code: str, otp: str, minutes: int) -> str:
    return {"id": f"Aduan: kode akses laporan {code}: {otp} (berlaku {minutes} menit). "
                  "Jangan berikan kepada siapa pun.",
            "en": f"Aduan: access code for report {code}: {otp} (valid {minutes} minutes). "
                  "Do not share it."}[language_of(language)]


def render_comment_to_reporter(language: str, code: str, author: str, text: str, link: str
                               ) -> Rendered:
    """To the reporter: `author` (an agency's name, or the city's operators) commented."""
    lang = language_of(language)
    subject = {"id": f"Tanggapan baru untuk laporan {code}",
               "en": f"New comment on report {code}"}[lang]
    intro = {"id": f"{author} menulis tentang laporan Anda {code}:",
             "en": f"{author} wrote about your report {code}:"}[lang]
    answer = {"id": "Anda dapat membalas di halaman pelacakan.",
              "en": "You can reply on the tracking page."}[lang]
    return _render(lang, subject, [f"{intro}\n{text}", answer], (LINK_LABEL[lang], link))


def render_comment_to_reporter_sms(language: str, code: str, author: str, link: str) -> str:
    return {"id": f"Aduan: {author} menanggapi laporan {code}. Lihat {link}",
            "en": f"Aduan: {author} commented on report {code}. See {link}"}[
        language_of(language)]


def commenter_name(language: str, role: str) -> str:
    """Who commented, for the reporter, when no agency is named (the city's operators)."""
    lang = language_of(language)
    if role == "operator":
        return {"id": "Operator kota", "en": "The city's operators"}[lang]
    return {"id": "Petugas", "en": "Staff"}[lang]


def render_vertical_body_referral(language: str, body: str, city: str,
                                  report: ReportSummary, link: str) -> Rendered:
    """To a vertical body's complaints desk (its catalogue `contact.email`): the city referred
    a resident's report to it. What it needs to act (type, category, place, description), never
    who the reporter is: the body is outside the city government. A confidential report has no
    public page, so no link."""
    lang = language_of(language)
    subject = {"id": f"Rujukan laporan warga {report.code} dari {city}",
               "en": f"Resident's report {report.code} referred by {city}"}[lang]
    intro = {"id": f"{city} merujuk laporan warga {report.code} kepada {body}, karena "
                   "penanganannya di luar kewenangan pemerintah kota. Mohon ditindaklanjuti "
                   f"sesuai prosedur pengaduan {body}.",
             "en": f"{city} referred resident's report {report.code} to {body}: handling it "
                   f"is outside the city government's authority. Please follow it up under "
                   f"{body}'s own complaints procedure."}[lang]
    paragraphs = [intro, *_summary_paragraphs(lang, replace(report, reporter=None,
                                                            privacy="outside"))]
    if report.privacy == "confidential":
        paragraphs.append(NOT_PUBLIC[lang])
        return _render(lang, subject, paragraphs)
    return _render(lang, subject, paragraphs, (PUBLIC_PAGE_LABEL[lang], link))


# ---- agency staff -------------------------------------------------------------------------

def _reporter_line(lang: str, report: ReportSummary) -> str:
    if report.reporter is None:
        shown = WITHHELD.get(report.privacy, WITHHELD["confidential"])[lang]
    else:
        shown = report.reporter or UNNAMED[lang]
    return {"id": "Pelapor", "en": "Reporter"}[lang] + f": {shown}"


def _summary_paragraphs(lang: str, report: ReportSummary) -> list[str]:
    facts = "\n".join([
        {"id": "Jenis", "en": "Type"}[lang] + f": {type_name(lang, report.type)}",
        {"id": "Kategori", "en": "Category"}[lang] + f": {report.category}",
        {"id": "Lokasi", "en": "Location"}[lang] + f": {report.location}",
        {"id": "Status", "en": "Status"}[lang]
        + f": {status_name(lang, report.status, report.type)}",
        _reporter_line(lang, report),
    ])
    paragraphs = [facts]
    if report.description:
        paragraphs.append({"id": "Uraian", "en": "Description"}[lang] + f":\n{report.description}")
    return paragraphs


def _to_staff(lang: str, subject: str, paragraphs: list[str], report: ReportSummary,
              link: str) -> Rendered:
    """A message to staff: its own paragraphs, then the report as staff may see it, then the
    link to the report's staff page."""
    return _render(lang, subject, [*paragraphs, *_summary_paragraphs(lang, report)],
                   (STAFF_LINK_LABEL[lang], link))


def render_agency_forwarded(language: str, agency: str, report: ReportSummary,
                            link: str) -> Rendered:
    """To an agency's liaison admins: a report was forwarded to their agency."""
    lang = language_of(language)
    subject = {"id": f"Laporan baru untuk {agency}: {report.code}",
               "en": f"New report for {agency}: {report.code}"}[lang]
    intro = {"id": f"Laporan {report.code} diteruskan ke {agency} untuk ditindaklanjuti. Mohon "
                   "segera terima dan tangani laporan ini.",
             "en": f"Report {report.code} was forwarded to {agency} for follow-up. Please "
                   "accept and handle it promptly."}[lang]
    return _to_staff(lang, subject, [intro], report, link)


def render_agency_forwarded_sms(language: str, agency: str, code: str) -> str:
    return {"id": f"Aduan: laporan baru {code} diteruskan ke {agency}.",
            "en": f"Aduan: new report {code} forwarded to {agency}."}[language_of(language)]


def render_sla_breach(language: str, kind: str, agency: str | None, due: str,
                      report: ReportSummary, link: str) -> Rendered:
    """To the head of agency, leaders (and whoever the escalation names): a deadline passed.
    `kind` is `forward` (the city did not forward in time), `follow_up` (the agency gave the
    reporter no response in time) or `resolution` (the agency did not resolve it in time)."""
    lang = language_of(language)
    who = agency or {"id": "instansi", "en": "the agency"}[lang]
    if kind == "forward":
        what = {"id": f"Laporan {report.code} belum diteruskan ke instansi hingga batas waktu "
                      f"{due}.",
                "en": f"Report {report.code} was not forwarded to an agency by its deadline, "
                      f"{due}."}[lang]
    elif kind == "resolution":
        what = {"id": f"{who} belum menyelesaikan laporan {report.code} hingga target "
                      f"penyelesaian {due}.",
                "en": f"{who} did not resolve report {report.code} by its resolution target, "
                      f"{due}."}[lang]
    else:
        what = {"id": f"{who} belum menindaklanjuti laporan {report.code} hingga batas waktu "
                      f"{due}.",
                "en": f"{who} did not follow up report {report.code} by its deadline, "
                      f"{due}."}[lang]
    label = f" ({agency})" if agency else ""
    subject = {"id": f"Batas waktu terlewati: laporan {report.code}{label}",
               "en": f"Deadline missed: report {report.code}{label}"}[lang]
    return _to_staff(lang, subject, [what], report, link)


def render_sla_breach_sms(language: str, code: str, agency: str | None, due: str) -> str:
    label = f" ({agency})" if agency else ""
    return {"id": f"Aduan: batas waktu laporan {code}{label} terlewati ({due}).",
            "en": f"Aduan: deadline of report {code}{label} missed ({due})."}[
        language_of(language)]


def render_escalated(language: str, agency: str, note: str | None, by_role: str | None,
                     report: ReportSummary, link: str) -> Rendered:
    """To the head of an agency: an operator or the agency's admin escalated a report."""
    lang = language_of(language)
    who = ROLE_NAMES.get(by_role or "", {}).get(lang) or {"id": "petugas", "en": "staff"}[lang]
    subject = {"id": f"Eskalasi laporan {report.code} ({agency})",
               "en": f"Report {report.code} escalated ({agency})"}[lang]
    intro = {"id": f"Laporan {report.code} untuk {agency} dieskalasikan kepada Anda oleh {who}.",
             "en": f"Report {report.code} for {agency} was escalated to you by {who}."}[lang]
    paragraphs = [intro]
    if note:
        paragraphs.append({"id": "Catatan", "en": "Note"}[lang] + f":\n{note}")
    return _to_staff(lang, subject, paragraphs, report, link)


def render_escalated_sms(language: str, code: str, agency: str) -> str:
    return {"id": f"Aduan: laporan {code} ({agency}) dieskalasikan kepada Anda.",
            "en": f"Aduan: report {code} ({agency}) was escalated to you."}[language_of(language)]


def render_dispatched(language: str, agency: str, report: ReportSummary, link: str
                      ) -> Rendered:
    """To a field officer: their agency's admin assigned them a report."""
    lang = language_of(language)
    subject = {"id": f"Tugas baru: laporan {report.code}",
               "en": f"New task: report {report.code}"}[lang]
    intro = {"id": f"{agency} menugaskan Anda menangani laporan {report.code}. Kunjungi lokasi, "
                   "catat perkembangannya dan selesaikan dengan foto bukti di halaman Tugas.",
             "en": f"{agency} assigned you report {report.code}. Visit the place, record the "
                   "progress and resolve it with evidence photos on the Tasks page."}[lang]
    return _to_staff(lang, subject, [intro], report, link)


def render_dispatched_sms(language: str, code: str, agency: str) -> str:
    return {"id": f"Aduan: tugas baru dari {agency}: laporan {code}.",
            "en": f"Aduan: new task from {agency}: report {code}."}[language_of(language)]


def render_evidence_flagged(language: str, agency: str, officer: str | None,
                            reasons: Sequence[str], report: ReportSummary, link: str
                            ) -> Rendered:
    """To an agency's admins: an officer's evidence photos did not pass the photo checks."""
    lang = language_of(language)
    by = officer or {"id": "petugas", "en": "an officer"}[lang]
    subject = {"id": f"Periksa bukti penyelesaian laporan {report.code}",
               "en": f"Check the resolution evidence of report {report.code}"}[lang]
    intro = {"id": f"Foto bukti penyelesaian laporan {report.code} oleh {by} ({agency}) tidak "
                   "lolos pemeriksaan foto (waktu pengambilan atau lokasi). Mohon periksa "
                   "sebelum laporan dianggap selesai.",
             "en": f"The evidence photos with which {by} ({agency}) resolved report "
                   f"{report.code} did not pass the photo checks (time taken or place). Please "
                   "check them before the report counts as done."}[lang]
    paragraphs = [intro]
    if reasons:
        paragraphs.append({"id": "Alasan", "en": "Reasons"}[lang] + ": " + ", ".join(reasons))
    return _to_staff(lang, subject, paragraphs, report, link)


def render_evidence_flagged_sms(language: str, code: str, agency: str) -> str:
    return {"id": f"Aduan: bukti penyelesaian laporan {code} ({agency}) perlu diperiksa.",
            "en": f"Aduan: resolution evidence of report {code} ({agency}) needs checking."}[
        language_of(language)]


def render_reporter_commented(language: str, agency: str | None, text: str,
                              report: ReportSummary, link: str) -> Rendered:
    """To the staff handling a report (its agencies' admins, else the operators): the
    reporter commented."""
    lang = language_of(language)
    subject = {"id": f"Komentar pelapor pada laporan {report.code}",
               "en": f"The reporter commented on report {report.code}"}[lang]
    who = f" ({agency})" if agency else ""
    intro = {"id": f"Pelapor menulis pada laporan {report.code}{who}:",
             "en": f"The reporter wrote on report {report.code}{who}:"}[lang]
    return _to_staff(lang, subject, [f"{intro}\n{text}"], report, link)


def render_reporter_commented_sms(language: str, code: str) -> str:
    return {"id": f"Aduan: pelapor menulis komentar pada laporan {code}.",
            "en": f"Aduan: the reporter commented on report {code}."}[language_of(language)]


def render_returned(language: str, report: ReportSummary, link: str) -> Rendered:
    """To the operators: a postponed report's date has passed; it is back in their queue."""
    lang = language_of(language)
    subject = {"id": f"Laporan {report.code} kembali ke antrean",
               "en": f"Report {report.code} is back in the queue"}[lang]
    intro = {"id": f"Penundaan laporan {report.code} sudah berakhir. Laporan ini kembali ke "
                   "antrean operator untuk diteruskan ke instansi.",
             "en": f"Report {report.code} was postponed and its date has passed. It is back "
                   "in the operators' queue to be forwarded to an agency."}[lang]
    return _to_staff(lang, subject, [intro], report, link)


def render_returned_sms(language: str, code: str) -> str:
    return {"id": f"Aduan: laporan {code} kembali ke antrean operator.",
            "en": f"Aduan: report {code} is back in the operators' queue."}[
        language_of(language)]


# ---- leaders' daily digest -------------------------------------------------------------------

DIGEST_HEADER = {
    "id": ("Instansi", "Belum diterima", "Diterima / dikerjakan", "Selesai", "Baru (24 jam)",
           "Lewat batas waktu", "Rata-rata waktu respons (jam)", "Median waktu respons (jam)"),
    "en": ("Agency", "Not yet accepted", "Accepted / in progress", "Done", "New (24 h)",
           "Overdue", "Mean response time (h)", "Median response time (h)"),
}


# The row of the reports the operators have not forwarded yet (the city's, not an agency's).
DIGEST_NOT_FORWARDED = {"id": "Belum diteruskan operator", "en": "Not yet forwarded (operators)"}


def render_digest(language: str, city_name: str, day: str, rows: Sequence[Sequence[str]]
                  ) -> Rendered:
    """To a leader: one row per agency (rows follow DIGEST_HEADER's columns)."""
    lang = language_of(language)
    subject = {"id": f"Ringkasan harian Aduan {city_name}, {day}",
               "en": f"Aduan daily digest for {city_name}, {day}"}[lang]
    intro = {"id": f"Ringkasan laporan warga per instansi di {city_name} per {day}. Waktu "
                   "respons: dari diteruskan sampai diterima instansi, 30 hari terakhir.",
             "en": f"Residents' reports per agency in {city_name} as of {day}. Response time: "
                   "from forwarded to accepted by the agency, last 30 days."}[lang]
    if not rows:
        return _render(lang, subject, [intro, {"id": "Belum ada laporan untuk instansi mana pun.",
                                               "en": "No agency has any report yet."}[lang]])
    return _render(lang, subject, [intro], table=Table(DIGEST_HEADER[lang], rows))


# ---- followers ("me too") --------------------------------------------------------------------

def render_follower_status(language: str, code: str, status: str, link: str, stop: str,
                           public_response: str | None = None) -> Rendered:
    """To a resident following a report: it moved to `status` (with the answer staff gave
    the public). Nothing of the reporter; the link is the public tracking page, `stop` the
    follower's own link that stops these messages."""
    lang = language_of(language)
    name = status_name(lang, status)
    paragraphs = [{"id": f"Laporan {code} yang Anda ikuti sekarang: {name}.",
                   "en": f"Report {code}, which you follow, is now: {name}."}[lang]]
    meaning = explanation(lang, status)
    if meaning:
        paragraphs.append(meaning)
    if public_response:
        paragraphs.append({"id": "Tanggapan", "en": "Response"}[lang] + f":\n{public_response}")
    paragraphs.append(_following(lang, stop))
    subject = {"id": f"Laporan yang Anda ikuti {code}: {name}",
               "en": f"Report you follow {code}: {name}"}[lang]
    return _render(lang, subject, paragraphs, (LINK_LABEL[lang], link))


def render_follower_status_sms(language: str, code: str, status: str, link: str) -> str:
    lang = language_of(language)
    name = status_name(lang, status)
    return {"id": f"Aduan: laporan yang Anda ikuti {code} {name}. Lihat {link}",
            "en": f"Aduan: report {code} you follow is {name}. See {link}"}[lang]


def render_follower_comment(language: str, code: str, author: str, text: str, link: str,
                            stop: str) -> Rendered:
    """To a resident following a report: the staff handling it wrote (comments are public)."""
    lang = language_of(language)
    subject = {"id": f"Tanggapan baru pada laporan yang Anda ikuti {code}",
               "en": f"New comment on report {code} you follow"}[lang]
    intro = {"id": f"{author} menulis tentang laporan {code}:",
             "en": f"{author} wrote about report {code}:"}[lang]
    return _render(lang, subject, [f"{intro}\n{text}", _following(lang, stop)],
                   (LINK_LABEL[lang], link))


def render_follow_confirmation(language: str, code: str, link: str) -> Rendered:
    """To an address someone asked to follow a report with: the one message before it is
    confirmed. Nothing more is sent unless its link is opened."""
    lang = language_of(language)
    hours = int(PENDING_TTL.total_seconds() // 3600)
    subject = {"id": f"Konfirmasi: ikuti laporan {code}?",
               "en": f"Confirm: follow report {code}?"}[lang]
    ask = {"id": f"Seseorang meminta agar alamat ini menerima kabar laporan {code} (\"saya "
                 f"juga\"). Bila itu Anda, buka tautan di bawah dalam {hours} jam untuk "
                 "mengonfirmasi.",
           "en": f"Someone asked for this address to get the updates of report {code} (\"me "
                 f"too\"). If it was you, open the link below within {hours} hours to "
                 "confirm."}[lang]
    ignore = {"id": "Bila bukan Anda, abaikan pesan ini: Anda tidak akan menerima pesan lain.",
              "en": "If it was not you, ignore this message: you will get no other message."
              }[lang]
    return _render(lang, subject, [ask, ignore],
                   ({"id": "Konfirmasi", "en": "Confirm"}[lang], link))


def render_follow_confirmation_sms(language: str, code: str, link: str) -> str:
    return {"id": f"Aduan: konfirmasi untuk menerima kabar laporan {code}: {link} "
                  "(abaikan bila bukan Anda)",
            "en": f"Aduan: confirm to get the updates of report {code}: {link} "
                  "(ignore if it was not you)"}[language_of(language)]


FOLLOWING = {"id": "Anda menerima pesan ini karena mengikuti laporan ini (\"saya juga\").",
             "en": "You get this message because you follow this report (\"me too\")."}
STOP_FOLLOWING = {"id": "Berhenti mengikuti", "en": "Stop following"}


def _following(lang: str, stop: str) -> str:
    return f"{FOLLOWING[lang]}\n{STOP_FOLLOWING[lang]}: {stop}"
