"""Notification logic that needs no server: signatures, texts, privacy, SMS bodies, filters
(the digest's figures: tests/unit/test_figures.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from aduan.contracts.webhooks import EVENTS
from aduan.domain import status_names
from aduan.domain.lifecycle import TRANSITIONS
from aduan.infra.config import Settings
from aduan.infra.logs import mask_phone, redact_contacts
from aduan.web.errors import ApiError
from aduan.web.validation import validate
from services.notification import privacy, signing, sms, templates, webhooks
from services.notification.audiences import REPORTER_STATUSES, Planner, local_time
from services.notification.contacts import normalize_phone

BODY = b'{"event":"report.forwarded","report":{"code":"PDG-2026-7KQ-4M9-X2A"}}'
SECRET = "s3cret-s3cret-s3cret"


# ---- signatures ------------------------------------------------------------------------------

def test_a_signature_verifies_only_for_the_same_secret_body_and_recent_time():
    header = signing.sign(SECRET, BODY, timestamp=1_800_000_000)
    assert header.startswith("t=1800000000,v1=")
    assert signing.verify_signature(SECRET, header, BODY, now=1_800_000_010)
    assert not signing.verify_signature("another-secret-value", header, BODY, now=1_800_000_010)
    assert not signing.verify_signature(SECRET, header, BODY + b" ", now=1_800_000_010)
    # A replay long after the fact is refused even though the HMAC matches.
    assert not signing.verify_signature(SECRET, header, BODY, now=1_800_000_000 + 301)


def test_the_signature_covers_the_timestamp():
    header = signing.sign(SECRET, BODY, timestamp=1_800_000_000)
    forged = header.replace("t=1800000000", "t=1800000100")
    assert not signing.verify_signature(SECRET, forged, BODY, now=1_800_000_100)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=abc,v1=00", "v1=00", "t=1800000000"])
def test_malformed_signature_headers_are_refused(header):
    assert not signing.verify_signature(SECRET, header, BODY, now=1_800_000_000)


def test_any_of_several_v1_values_may_match_during_secret_rotation():
    good = signing.sign(SECRET, BODY, timestamp=1_800_000_000)
    old = signing.sign("old-secret-old-secret", BODY, timestamp=1_800_000_000).split(",")[1]
    assert signing.verify_signature(SECRET, f"{good},{old}", BODY, now=1_800_000_000)


# ---- texts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", sorted(REPORTER_STATUSES))
@pytest.mark.parametrize("language", ["id", "en"])
def test_every_reporter_step_has_a_named_status_and_explanation(status, language):
    rendered = templates.render_status_message(language, "DPK-2026-000007", status,
                                               "http://x/track", None)
    name = status_names.STATUS_NAMES[language][status]
    assert name in rendered.subject and "DPK-2026-000007" in rendered.subject
    assert status_names.STATUS_EXPLANATIONS[language][status] in rendered.text
    assert "http://x/track" in rendered.text
    assert '<a href="http://x/track">' in rendered.html
    assert f'<html lang="{language}">' in rendered.html
    sms_text = templates.render_status_sms(language, "DPK-2026-000007", status, "http://x/t")
    assert name in sms_text and len(sms_text) <= 160


def _summary(reporter: str | None, privacy_level: str = "public", description: str = "Jalan"):
    return templates.ReportSummary(code="DPK-2026-000009", category="Sampah",
                                   location="Kec. Beji", description=description,
                                   reporter=reporter, privacy=privacy_level, status="forwarded")


def test_agency_texts_in_both_languages_withhold_a_hidden_reporter():
    indonesian = templates.render_agency_forwarded(
        "id", "Dinas Lingkungan Hidup", _summary(None, "anonymous"), "http://x/r")
    english = templates.render_agency_forwarded(
        "en", "Environment Agency", _summary(None, "confidential"), "http://x/r")
    assert indonesian.subject == "Laporan baru untuk Dinas Lingkungan Hidup: DPK-2026-000009"
    assert "Pelapor: dirahasiakan (laporan anonim)" in indonesian.text
    assert english.subject == "New report for Environment Agency: DPK-2026-000009"
    assert "Reporter: withheld (confidential report)" in english.text
    public = templates.render_agency_forwarded("id", "DLH", _summary("Budi"), "http://x/r")
    assert "Pelapor: Budi" in public.text


def test_sla_texts_name_the_kind_of_breach():
    follow_up = templates.render_sla_breach("id", "follow_up", "DLH", "01-12-2026 09:00 WIB",
                                            _summary(None, "anonymous"), "http://x/r")
    forward = templates.render_sla_breach("en", "forward", None, "01-12-2026 09:00 WIB",
                                          _summary(None, "anonymous"), "http://x/r")
    assert follow_up.subject == "Batas waktu terlewati: laporan DPK-2026-000009 (DLH)"
    assert "DLH belum menindaklanjuti laporan DPK-2026-000009" in follow_up.text
    assert forward.subject == "Deadline missed: report DPK-2026-000009"
    assert "was not forwarded to an agency by its deadline, 01-12-2026 09:00 WIB" in forward.text


def test_values_are_escaped_in_html():
    rendered = templates.render_agency_forwarded(
        "id", "DLH", _summary("<script>x</script>", description="a & <b>b</b>"), "http://x/r")
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "&amp; &lt;b&gt;" in rendered.html


def test_digest_renders_a_table_in_both_languages():
    rows = [["Dinas Lingkungan Hidup (DLH)", "2", "1", "3", "1", "1", "4.5", "4.0"]]
    indonesian = templates.render_digest("id", "Kota Depok", "2026-11-23", rows)
    english = templates.render_digest("en", "Kota Depok", "2026-11-23", rows)
    assert "<th>Belum diterima</th>" in indonesian.html
    assert "<td>Dinas Lingkungan Hidup (DLH)</td>" in indonesian.html
    assert "Belum diterima: 2" in indonesian.text
    assert "Not yet accepted: 2" in english.text
    assert "No agency has any report yet." in templates.render_digest("en", "X", "d", []).text


def test_deadlines_are_shown_in_the_city_time_zone():
    assert local_time("2026-12-01T02:00:00+00:00", "depok") == "01-12-2026 09:00 WIB"
    assert local_time("2026-12-01T02:00:00+00:00", "kotamobagu") == "01-12-2026 10:00 WITA"
    assert local_time(None, "depok") == "-"


# ---- privacy ---------------------------------------------------------------------------------

REPORT = {
    "_id": "r1", "code": "DPK-2026-3HW-6P2-Z9C", "city": "depok", "category": "waste",
    "description": "Sampah di depan rumah Bu Siti", "status": "forwarded",
    "location": {"lat": -6.3743, "lon": 106.823}, "kecamatan": {"code": "x", "name": "Beji"},
    "agencies": [{"code": "DLH"}], "created_at": datetime(2026, 11, 23, tzinfo=UTC),
    "reporter": {"name": "Siti", "email": "siti@example.id", "phone": "081234567890"},
}


@pytest.mark.parametrize("level", ["anonymous", "confidential"])
def test_staff_never_see_a_hidden_reporter(level):
    summary = privacy.staff_summary({**REPORT, "privacy": level}, "Sampah")
    assert summary.reporter is None
    assert privacy.staff_summary({**REPORT, "privacy": "public"}, "Sampah").reporter == "Siti"


def test_staff_read_an_address_only_or_no_location():
    # A desk report told as an address is stored with lat and lon null; some types have none.
    told = {**REPORT, "location": {"lat": None, "lon": None, "address": "Jl. Sudirman 5"},
            "kecamatan": None}
    assert privacy.staff_summary(told, "Sampah").location == "Jl. Sudirman 5"
    assert privacy.staff_summary({**told, "location": None}, "Sampah").location == "-"


@pytest.mark.parametrize("owner", privacy.OWNERS)
@pytest.mark.parametrize("level", ["public", "anonymous", "confidential"])
def test_webhooks_never_carry_the_reporter(owner, level):
    payload = privacy.webhook_payload("d1", "report.forwarded", {"status": "forwarded"},
                                      {**REPORT, "privacy": level}, owner)
    text = json.dumps(payload)
    assert "Siti" not in text.replace("Bu Siti", "") and "siti@" not in text
    assert "081234567890" not in text


def test_a_confidential_description_goes_only_to_the_city_s_own_webhooks():
    confidential = {**REPORT, "privacy": "confidential"}
    city = privacy.webhook_payload("d", "report.forwarded", {}, confidential, "city")
    agency = privacy.webhook_payload("d", "report.forwarded", {}, confidential, "agency")
    assert city["report"]["description"] == REPORT["description"]
    assert "description" not in agency["report"] and "location" not in agency["report"]
    assert not privacy.webhook_may_receive("client", confidential)
    assert privacy.webhook_may_receive("agency", confidential)
    public = privacy.webhook_payload("d", "report.forwarded", {}, {**REPORT, "privacy": "public"},
                                     "client")
    assert public["report"]["description"] == REPORT["description"]


# ---- webhook subscriptions -------------------------------------------------------------------

def _subscription(**fields):
    return {"events": ["report.forwarded"], "city": "depok", "agency": None, "owner": "client",
            **fields}


def test_subscription_filters():
    report = {**REPORT, "privacy": "public"}
    assert webhooks.matches(_subscription(), "report.forwarded", {}, report)
    assert not webhooks.matches(_subscription(), "report.submitted", {}, report)
    assert not webhooks.matches(_subscription(city="padang"), "report.forwarded", {}, report)
    # One stored before every subscription had to name its city hears nothing, not every city.
    assert not webhooks.matches(_subscription(city=None), "report.forwarded", {}, report)
    assert webhooks.matches(_subscription(agency="DLH"), "report.forwarded", {}, report)
    assert not webhooks.matches(_subscription(agency="PUPR"), "report.forwarded", {}, report)
    sla = {"agency": "PUPR"}
    assert webhooks.matches(_subscription(agency="PUPR", events=["report.sla_breached"]),
                            "report.sla_breached", sla, report)


@pytest.mark.parametrize("change, field", [
    ({"url": "ftp://x.example/hook"}, "url"),
    ({"url": "http://user@x.example/"}, "url"),
    ({"secret": "short"}, "secret"),
    ({"events": []}, "events"),
    ({"events": ["report.deleted"]}, "events.0"),
    ({"owner": "someone"}, "owner"),
    ({"agency": "dlh"}, "agency"),
    ({"extra": 1}, "extra"),
])
def test_bad_subscriptions_are_refused_with_the_field(change, field):
    data = {"url": "https://hooks.example/aduan", "secret": SECRET,
            "events": ["report.forwarded"], **change}
    with pytest.raises(ApiError) as caught:
        validate(webhooks.SubscriptionIn, data)
    assert caught.value.status == 422
    assert field in [d["field"] for d in caught.value.details]


def test_retry_delays_grow_and_then_stay_at_the_last():
    settings = Settings(webhook_retry_delays_ms=(100, 1000, 5000))
    delays = [webhooks.retry_delay(settings, n).total_seconds() for n in range(1, 6)]
    assert delays == [0.1, 1.0, 5.0, 5.0, 5.0]


def test_a_webhook_recipient_is_shown_without_path_or_query():
    assert webhooks.masked_url("https://hooks.example:8443/T0/B1/xyz?token=1") == \
        "https://hooks.example:8443/…"


# ---- SMS provider ----------------------------------------------------------------------------

def test_the_sms_body_template_is_filled_after_parsing():
    settings = Settings(sms_url="http://sms.example/send", sms_auth_header="X-Api-Key: k1",
                        sms_body_template='{"msisdn": "{to}", "msg": {"body": "{text}"}, '
                                          '"tags": ["aduan", "{sender}"], "priority": 1}')
    headers, body = sms.request_parts(settings, "+6281234567890", 'He said "hi" {to} \\ ok')
    assert headers["X-Api-Key"] == "k1"
    assert body == {"msisdn": "+6281234567890", "msg": {"body": 'He said "hi" {to} \\ ok'},
                    "tags": ["aduan", "ADUAN"], "priority": 1}
    sms.check_configuration(settings)


@pytest.mark.parametrize("template, header", [
    ("not json", ""), ('["{to}", "{text}"]', ""), ('{"to": "{to}"}', ""),
    ('{"to": "{to}", "text": "{text}"}', "no colon"),
])
def test_unusable_sms_settings_are_refused_at_start(template, header):
    settings = Settings(sms_url="http://sms.example", sms_body_template=template,
                        sms_auth_header=header)
    with pytest.raises(ValueError):
        sms.check_configuration(settings)


@pytest.mark.parametrize("raw, normalized", [
    ("081234567890", "+6281234567890"), ("+62 812-3456-7890", "+6281234567890"),
    ("6281234567890", "+6281234567890"), ("12", None), ("08x", None), ("", None),
])
def test_phone_numbers_are_normalized(raw, normalized):
    assert normalize_phone(raw) == normalized


# ---- logs ------------------------------------------------------------------------------------

def test_contacts_are_redacted_from_free_text_but_dates_and_counts_stay():
    text = ("refused {'siti.rahasia@example.id': (550, b'no such user')} sms +62 812-3456-7890 "
            "or 081234567890 at 2026-11-23T02:55:01Z port 11055, 12345678 items")
    redacted = redact_contacts(text)
    assert "siti.rahasia@" not in redacted and "s***@example.id" in redacted
    assert "812-3456" not in redacted and "081234567890" not in redacted
    assert "2026-11-23T02:55:01Z" in redacted and "11055" in redacted and "12345678" in redacted
    assert mask_phone("+62 812-3456-7890") == "***890"


# ---- events no one hears of -------------------------------------------------------------------

@pytest.mark.parametrize("event_key", EVENTS)
@pytest.mark.parametrize("status", [None, *sorted(TRANSITIONS)])
def test_an_event_skipped_unread_is_one_the_planner_tells_no_one_of(event_key, status):
    planner = Planner(Settings(), None)  # type: ignore[arg-type]  # no database needed here
    body = {"status": status} if status else {}
    report = {"_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "status": "verified",
              "reporter": {"email": "warga@example.id", "phone": "+6281234567890"}}
    if not planner.anyone_hears(event_key, body):
        assert planner.plan(event_key, body, report) == []


def test_a_verified_report_is_news_to_no_one_but_its_submission_is():
    planner = Planner(Settings(), None)  # type: ignore[arg-type]
    assert not planner.anyone_hears("report.verified", {"status": "verified"})
    assert planner.anyone_hears("report.submitted", {"status": "submitted"})
    assert planner.anyone_hears("report.status_changed", {})


def test_staff_read_the_report_type_and_its_status_name():
    asked = {**REPORT, "type": "information_request", "status": "resolved"}
    rendered = templates.render_agency_forwarded(
        "id", "DLH", privacy.staff_summary(asked, "Informasi publik"), "http://x/r")
    assert "Jenis: Permintaan informasi" in rendered.text
    assert "Status: dijawab" in rendered.text
    # Reports stored before types existed read as complaints.
    older = templates.render_agency_forwarded(
        "en", "DLH", privacy.staff_summary(REPORT, "Waste"), "http://x/r")
    assert "Type: Complaint" in older.text
