"""The SP4N-LAPOR! adapter against the suite's double of LAPOR! (tests/lapor_double.py, an
in-process HTTP server), and the connector's pure mapping: what a LAPOR! report becomes, what
a follow-up looks like, which history entries go back to LAPOR! and in which order."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lapor_double import (
    ATTACHMENT,
    POST_FOLLOWUP,
    REPORTS,
    Fault,
    LaporDouble,
    Redirect,
    lapor_report,
)

from aduan.contracts.reports import ReportIn
from aduan.infra.config import Settings
from services.lapor import adapter
from services.lapor.adapter import (
    AttachmentFailed,
    FollowUp,
    LaporClient,
    LaporRejected,
    LaporUnauthorized,
    LaporUnavailable,
    OutgoingReport,
    city_tokens,
    read_report,
)
from services.lapor.exporter import pending_items
from services.lapor.importer import NO_PLACE, report_fields

T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


@pytest.fixture()
def double():
    with LaporDouble({"tok-padang": "padang", "tok-jambi": "jambi"}) as server:
        yield server


def settings_for(double: LaporDouble, **changes) -> Settings:
    values = {"lapor_base_url": double.url, "lapor_timeout_s": 1.0, "lapor_page_size": 2,
              "lapor_tokens": "padang=tok-padang, jambi=tok-jambi", **changes}
    return replace(Settings(), **values)


def test_tokens_per_city_and_the_connector_off_without_a_base_url() -> None:
    assert city_tokens(replace(Settings(), lapor_tokens="padang=a, jambi=b,bad,=c")) == \
        {"padang": "a", "jambi": "b"}
    assert adapter.connected_cities(replace(Settings(), lapor_tokens="padang=a")) == []
    with pytest.raises(LaporUnauthorized):
        LaporClient(replace(Settings(), lapor_tokens="padang=a"), "padang")
    with pytest.raises(LaporUnauthorized):
        LaporClient(replace(Settings(), lapor_base_url="http://x", lapor_tokens="padang=a"),
                    "jambi")


def test_pages_are_read_with_the_token_and_mapped(double: LaporDouble) -> None:
    double.reports["padang"] = [lapor_report(f"T{i}", f"2026-11-0{i}T00:00:00Z")
                                for i in range(1, 6)]
    double.reports["jambi"] = [lapor_report("J1")]
    client = LaporClient(settings_for(double), "padang")
    first = client.reports_page(1, None)
    assert [r.tracking_id for r in first.items] == ["T1", "T2"] and not first.last_page
    last = client.reports_page(3, None)
    assert [r.tracking_id for r in last.items] == ["T5"] and last.last_page
    since = client.reports_page(1, datetime(2026, 11, 4, tzinfo=UTC))
    assert [r.tracking_id for r in since.items] == ["T4", "T5"]
    report = first.items[0]
    assert (report.type, report.privacy, report.topic_id, report.topic_parent_id) == \
        ("complaint", "public", "101", "1")
    assert (report.lat, report.lon, report.address) == (-0.9492, 100.3543,
                                                          "Jl. Pasar Raya, Padang")
    assert report.updated_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert all(r.headers.get("Authorization") == "Bearer tok-padang" for r in double.received)


def test_a_refused_token_is_unauthorized(double: LaporDouble) -> None:
    settings = replace(settings_for(double), lapor_tokens="padang=wrong")
    with pytest.raises(LaporUnauthorized):
        LaporClient(settings, "padang").reports_page(1, None)


def test_rate_limits_outages_and_timeouts_are_unavailable(double: LaporDouble) -> None:
    client = LaporClient(settings_for(double, lapor_timeout_s=0.3), "padang")
    double.plan(REPORTS, Fault(status=429, retry_after="7"), Fault(status=503),
                Fault(pause_s=1.0))
    with pytest.raises(LaporUnavailable) as limited:
        client.reports_page(1, None)
    assert (limited.value.reason, limited.value.retry_after) == ("rate_limited", 7.0)
    with pytest.raises(LaporUnavailable) as down:
        client.reports_page(1, None)
    assert down.value.reason == "unavailable"
    with pytest.raises(LaporUnavailable) as slow:
        client.reports_page(1, None)
    assert slow.value.reason == "timeout"
    assert client.reports_page(1, None).items == []


def test_follow_ups_are_posted_and_listed(double: LaporDouble) -> None:
    client = LaporClient(settings_for(double), "padang")
    client.post_followup("T1", FollowUp("aduan:r1:h3", "forwarded", "Diteruskan", T0))
    assert double.sent("T1") == [{"ref": "aduan:r1:h3", "status": "didisposisikan",
                                  "isi": "Diteruskan", "tanggal": "2026-11-01T03:00:00Z"}]
    assert [f["ref"] for f in client.followups("T1")] == ["aduan:r1:h3"]
    double.plan(POST_FOLLOWUP, Fault(status=422))
    with pytest.raises(LaporRejected):
        client.post_followup("T1", FollowUp("aduan:r1:h4", "accepted", "Diterima", T0))


def test_a_report_is_created_once_and_found_by_its_ref(double: LaporDouble) -> None:
    client = LaporClient(settings_for(double), "jambi")
    assert client.find_by_ref("r9") is None
    tracking = client.create_report(OutgoingReport("r9", "Judul", "Isi laporan", "complaint",
                                                   "anonymous", "101", -1.6, 103.6, "Jl. A"))
    assert client.find_by_ref("r9") == tracking
    body = json.loads(double.received[-2].body)
    assert body["privasi"] == "anonim" and body["lokasi"] == {"lat": -1.6, "lng": 103.6,
                                                              "alamat": "Jl. A"}
    assert "pelapor" not in body


def test_attachments_capped_and_no_token_to_another_host(double: LaporDouble) -> None:
    double.files["a.jpg"] = b"\xff\xd8\xff" + b"x" * 100
    client = LaporClient(settings_for(double, lapor_attachment_private_hosts="localhost"),
                         "padang")
    assert client.attachment(double.file_url("a.jpg"), 1000) == double.files["a.jpg"]
    assert double.received[-1].headers.get("Authorization") == "Bearer tok-padang"
    assert client.attachment(double.file_url("a.jpg"), 50) is None
    with pytest.raises(AttachmentFailed) as gone:
        client.attachment(double.file_url("gone.jpg"), 1000)
    assert gone.value.reason == "http_status"
    # The same server under another name is another origin: the token is not sent there.
    other = double.file_url("a.jpg").replace("127.0.0.1", "localhost")
    assert client.attachment(other, 1000) == double.files["a.jpg"]
    assert "Authorization" not in double.received[-1].headers


@pytest.mark.parametrize("fault", [Fault(status=403), Fault(status=401), Fault(status=500),
                                   Fault(status=429, retry_after="5"), Fault(pause_s=2.0)])
def test_a_failing_attachment_is_its_own_failure_never_the_token_or_an_outage(
        double: LaporDouble, fault: Fault) -> None:
    double.files["a.jpg"] = b"\xff\xd8\xff"
    client = LaporClient(settings_for(double, lapor_timeout_s=0.5), "padang")
    double.plan(ATTACHMENT, fault)
    with pytest.raises(AttachmentFailed) as failed:
        client.attachment(double.file_url("a.jpg"), 1000)
    assert failed.value.reason in ("http_status", "timeout")
    assert not isinstance(failed.value, LaporUnauthorized | LaporUnavailable)


@pytest.mark.parametrize("url, reason", [
    ("http://169.254.169.254/latest/meta-data/iam", "address_not_allowed"),  # cloud metadata
    ("http://10.0.0.5:15672/api/users", "address_not_allowed"),
    ("http://[::ffff:127.0.0.1]:27017/", "address_not_allowed"),
    ("file:///etc/passwd", "host_not_allowed"),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "host_not_allowed"),
])
def test_an_attachment_url_may_not_reach_private_addresses(double: LaporDouble, url: str,
                                                           reason: str) -> None:
    client = LaporClient(settings_for(double), "padang")
    with pytest.raises(AttachmentFailed) as refused:
        client.attachment(url, 1000)
    assert refused.value.reason == reason


def test_another_name_for_a_private_address_is_refused_before_any_request(
        double: LaporDouble) -> None:
    double.files["a.jpg"] = b"\xff\xd8\xff"
    client = LaporClient(settings_for(double), "padang")  # "localhost" not exempt here
    with pytest.raises(AttachmentFailed) as refused:
        client.attachment(double.file_url("a.jpg").replace("127.0.0.1", "localhost"), 1000)
    assert refused.value.reason == "address_not_allowed" and double.received == []


def test_redirects_are_checked_hop_by_hop_and_the_token_stays_home(double: LaporDouble) -> None:
    double.files["a.jpg"] = b"\xff\xd8\xff" + b"y" * 10
    elsewhere = double.file_url("a.jpg").replace("127.0.0.1", "localhost")
    double.files["to-cdn"] = Redirect(elsewhere)
    double.files["to-metadata"] = Redirect("http://169.254.169.254/latest/meta-data/")
    double.files["loop"] = Redirect(double.file_url("loop"))
    allowed = LaporClient(settings_for(double, lapor_attachment_private_hosts="localhost"),
                          "padang")
    assert allowed.attachment(double.file_url("to-cdn"), 1000) == double.files["a.jpg"]
    first, second = double.received[-2:]
    assert first.headers.get("Authorization") == "Bearer tok-padang"
    assert second.path == "/files/a.jpg" and "Authorization" not in second.headers
    strict = LaporClient(settings_for(double), "padang")
    for name, reason in (("to-cdn", "address_not_allowed"),
                         ("to-metadata", "address_not_allowed"),
                         ("loop", "too_many_redirects")):
        with pytest.raises(AttachmentFailed) as refused:
            strict.attachment(double.file_url(name), 1000)
        assert refused.value.reason == reason


MAPPING = adapter.field_mapping(Settings())


def test_an_unknown_privacy_level_is_confidential_and_a_confidential_report_has_no_reporter(
        ) -> None:
    secret = read_report(lapor_report("T1", privasi="rahasia"), MAPPING)
    unknown = read_report(lapor_report("T2", privasi="tertutup"), MAPPING)
    assert secret is not None and unknown is not None
    assert (secret.privacy, unknown.privacy) == ("confidential", "confidential")
    fields = report_fields(secret, "padang", "road", [])
    assert "reporter" not in fields and fields["privacy"] == "confidential"
    public = read_report(lapor_report("T3"), MAPPING)
    assert public is not None
    assert report_fields(public, "padang", "road", [])["reporter"] == \
        {"name": "Budi Santoso", "language": "id"}  # no contact: LAPOR! answers its user


def test_what_a_lapor_report_becomes() -> None:
    item = read_report(lapor_report("T1", klasifikasi="aspirasi", lokasi=None, isi="Pendek"),
                       MAPPING)
    assert item is not None
    fields = report_fields(item, "padang", "road", ["surat.pdf"])
    assert fields["type"] == "aspiration" and fields["external_id"] == "T1"
    assert fields["location"] == {"address": NO_PLACE}
    ReportIn.model_validate({**fields, "channel": "sp4n_lapor"})
    public = read_report(lapor_report("T3"), MAPPING)
    assert public is not None
    ReportIn.model_validate({**report_fields(public, "padang", "road", []),
                             "channel": "sp4n_lapor"})
    assert "surat.pdf" in fields["description"] and "Pendek" in fields["description"]
    assert read_report({"judul": "no id"}, MAPPING) is None
    unknown = read_report(lapor_report("T2", klasifikasi="lainnya"), MAPPING)
    assert unknown is not None and report_fields(unknown, "padang", "road", [])["type"] == \
        "complaint"


def _entry(to: str, at: datetime, **more) -> dict:
    return {"to": to, "at": at, "note": "internal only", **more}


def test_pending_items_public_steps_in_order_without_notes() -> None:
    report = {"_id": "r1", "type": "complaint", "history": [
        _entry("submitted", T0), _entry("verifying", T0), _entry("needs_review", T0),
        _entry("verified", T0 + timedelta(minutes=1)),
        _entry("forwarded", T0 + timedelta(minutes=2), agencies=["DLH"]),
        _entry("accepted", T0 + timedelta(minutes=4), public_response="Kami tangani"),
    ], "comments": [
        {"by": "reporter", "text": "Terima kasih", "at": T0 + timedelta(minutes=3)},
        {"by": "agency_admin", "text": "Tim berangkat", "at": T0 + timedelta(minutes=3)},
    ]}
    items = pending_items(report, {"last_exported_seq": 0, "last_exported_comment": -1})
    assert [(i.ref, i.kind) for i in items] == [
        ("aduan:r1:h3", "status"), ("aduan:r1:h4", "status"), ("aduan:r1:c1", "comment"),
        ("aduan:r1:h5", "response")]
    assert all("internal" not in i.content for i in items)
    assert "DLH" in items[1].content and items[3].content == "Kami tangani"
    later = pending_items(report, {"last_exported_seq": 4, "last_exported_comment": 1})
    assert [i.ref for i in later] == ["aduan:r1:h5"]


def test_a_stream_keeps_its_own_order_when_clocks_disagree() -> None:
    report = {"_id": "r1", "history": [
        _entry("submitted", T0), _entry("verified", T0 + timedelta(seconds=5)),
        _entry("forwarded", T0 + timedelta(seconds=4))]}
    items = pending_items(report, {"last_exported_seq": 0})
    assert [i.seq for i in items] == [1, 2]


def test_control_characters_from_lapor_become_spaces_not_a_lost_report() -> None:
    item = read_report(lapor_report("T1", judul="Jalan\x0b rusak", isi="Lubang\r\nbesar\x1b[2J",
                                    lokasi={"alamat": "Jl.\x00 Sudirman"},
                                    pelapor={"nama": "\x07"}), MAPPING)
    assert item is not None
    fields = report_fields(item, "padang", "road", [])
    assert fields["description"] == "Jalan  rusak\n\nLubang\nbesar [2J"
    assert fields["location"] == {"address": "Jl.  Sudirman"} and "reporter" not in fields
    ReportIn.model_validate({**fields, "channel": "sp4n_lapor"})  # intake's own rules
