"""Importing from SP4N-LAPOR!: the importer (services/lapor/importer.py) in the test process,
against the suite's LAPOR! double (tests/lapor_double.py) and the real intake and database.
A LAPOR! report however often fetched is one report; photos are stored as uploads; a
confidential report carries no reporter; a refused token, a rate limit, an outage and a slow
LAPOR! are failures that import nothing twice and lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
import requests
from lapor_double import ATTACHMENT, REPORTS, Fault, LaporDouble, lapor_report
from lapor_helpers import TOKENS, importer, stamp, tracking
from photo_factory import varied_padang_photos
from workflow_client import bearer

from aduan.infra import metrics
from services.lapor.importer import idempotency_key
from tools.devstack import ROOT


def counted(counter, *labels: str) -> float:
    return counter.labels(*labels)._value.get()


@pytest.fixture()
def double():
    with LaporDouble(TOKENS) as server:
        yield server


def imported(db, city: str, tracking_id: str) -> list[dict]:
    return list(db.reports.find({"city": city, "external.system": "sp4n_lapor",
                                 "external.id": tracking_id}))


def staff_view(api: str, settings, code: str, city: str = "padang") -> dict:
    response = requests.get(f"{api}/staff/reports/{code}", timeout=10,
                            headers=bearer(settings, "operator", city))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_report_fetched_again_and_again_is_one_report(settings, db, api, double):
    ids = [tracking() for _ in range(5)]
    double.reports["padang"] = [lapor_report(t, stamp(i)) for i, t in enumerate(ids)]
    before = counted(metrics.lapor_imported, "padang")
    first = importer(settings, double).run_city("padang")
    # Each page is asked from the last update time of the page before (inclusive): its last
    # report comes again at the top of the next.
    assert first.error is None and (first.pages, first.fetched) == (4, 8)
    assert (first.imported, first.known) == (5, 3)
    again = importer(settings, double).run_city("padang")  # the newest is fetched again
    assert again.error is None and again.imported == 0 and again.known >= 1
    for tracking_id in ids:
        [report] = imported(db, "padang", tracking_id)
        assert report["channel"] == "sp4n_lapor" and report["no_photo"] is True
        assert db.lapor_sync.count_documents({"_id": report["_id"],
                                              "tracking_id": tracking_id}) == 1
    assert counted(metrics.lapor_imported, "padang") - before == 5
    view = staff_view(api, settings, imported(db, "padang", ids[0])[0]["code"])
    assert view["external"] == {"system": "sp4n_lapor", "id": ids[0]}
    assert view["category"] == "road"  # LAPOR! topic 101 "Jalan Rusak" through the mapping


def test_reports_changed_at_the_same_time_page_by_number_over_duplicated_pages(settings, db,
                                                                              double):
    ids = [tracking() for _ in range(5)]
    same = stamp()
    double.overlap = 1  # every page repeats the last report of the page before
    double.reports["padang"] = [lapor_report(t, same) for t in ids]
    run = importer(settings, double).run_city("padang")
    assert run.error is None and run.imported == 5 and run.known == run.fetched - 5 > 0
    assert all(len(imported(db, "padang", t)) == 1 for t in ids)


def test_a_report_changed_while_the_pass_pages_is_not_skipped(settings, db, double):
    ids = [tracking() for _ in range(6)]
    double.reports["padang"] = [lapor_report(t, stamp(i)) for i, t in enumerate(ids)]
    later = stamp(100)

    def change_the_first(served: int) -> None:
        if served == 1:  # LAPOR! updates the first report: it moves to the end of the list
            double.reports["padang"][0] = lapor_report(ids[0], later, isi="Ditambah foto "
                                                       "oleh pelapor di SP4N-LAPOR!.")

    double.after_page = change_the_first
    run = importer(settings, double).run_city("padang")
    assert run.error is None and run.imported == 6
    assert all(len(imported(db, "padang", t)) == 1 for t in ids)


def test_two_importers_at_once_file_each_report_once(settings, db, double):
    ids = [tracking() for _ in range(4)]
    double.reports["padang"] = [lapor_report(t, stamp(i)) for i, t in enumerate(ids)]
    runs = []
    workers = [threading.Thread(target=lambda: runs.append(
        importer(settings, double).run_city("padang"))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(run.error is None for run in runs)
    assert sum(run.imported for run in runs) == 4
    assert all(len(imported(db, "padang", t)) == 1 for t in ids)


def test_photos_are_stored_and_other_attachments_named(settings, db, store, api, double):
    photo, second = varied_padang_photos(2, seed=1919)
    double.files.update({"a.jpg": photo, "b.jpg": second, "surat.pdf": b"%PDF-1.4 ..."})
    tracking_id = tracking()
    double.reports["padang"] = [lapor_report(tracking_id, stamp(), lampiran=[
        {"url": double.file_url("a.jpg"), "nama": "foto depan.jpg"},
        {"url": "/files/b.jpg", "nama": "foto samping.jpg"},  # relative to LAPOR!'s API
        {"url": double.file_url("surat.pdf"), "nama": "surat.pdf"},
        {"url": double.file_url("hilang.jpg"), "nama": "hilang.jpg"}])]
    run = importer(settings, double).run_city("padang")
    assert run.error is None and run.imported == 1
    [report] = imported(db, "padang", tracking_id)
    assert len(report["photos"]) == 2 and report["no_photo"] is False
    assert {store.get(store.raw_bucket, p["raw_key"]) for p in report["photos"]} == \
        {photo, second}
    assert "surat.pdf" in report["description"] and "hilang.jpg" in report["description"]


def test_a_confidential_report_has_no_reporter(settings, db, api, double):
    tracking_id = tracking()
    double.reports["padang"] = [lapor_report(tracking_id, stamp(), privasi="rahasia",
                                             klasifikasi="permintaan_informasi",
                                             topik={"id": "201", "parent_id": "2"})]
    assert importer(settings, double).run_city("padang").imported == 1
    [report] = imported(db, "padang", tracking_id)
    assert report["privacy"] == "confidential" and report["reporter"] is None
    assert report["type"] == "information_request" and report["category"] == "waste"
    assert requests.get(f"{api}/reports/{report['code']}", timeout=10).status_code == 404
    assert staff_view(api, settings, report["code"])["reporter"] is None


def test_a_refused_token_counts_a_failure_and_imports_nothing(settings, db, double):
    tracking_id = tracking()
    double.reports["jambi"] = [lapor_report(tracking_id, stamp())]
    before = counted(metrics.lapor_failures, "jambi", "import", "unauthorized")
    run = importer(settings, double, lapor_tokens="jambi=revoked-token").run_city("jambi")
    assert run.error == "unauthorized" and run.fetched == 0
    assert counted(metrics.lapor_failures, "jambi", "import", "unauthorized") - before == 1
    assert db.lapor_cursors.find_one({"_id": "jambi"})["last_error"]["reason"] == \
        "unauthorized"
    assert imported(db, "jambi", tracking_id) == []
    # The city's real token then imports it.
    assert importer(settings, double).run_city("jambi").imported == 1


def test_a_rate_limit_is_waited_out_and_an_entry_without_tracking_id_skipped(settings, db,
                                                                             double):
    tracking_id = tracking()
    nameless = lapor_report("", stamp())
    del nameless["tracking_id"]
    double.reports["padang"] = [nameless, lapor_report(tracking_id, stamp())]
    double.plan(REPORTS, Fault(status=429, retry_after="1"))
    before = counted(metrics.lapor_failures, "padang", "import", "rate_limited")
    run = importer(settings, double).run_city("padang")
    assert run.error is None and (run.imported, run.unreadable) == (1, 1)
    assert counted(metrics.lapor_failures, "padang", "import", "rate_limited") - before == 1


@pytest.mark.parametrize("fault,reason", [(Fault(status=503), "unavailable"),
                                          (Fault(pause_s=3), "timeout")])
def test_an_outage_mid_way_loses_nothing_and_files_nothing_twice(settings, db, double, fault,
                                                                 reason):
    ids = [tracking() for _ in range(5)]
    double.reports["padang"] = [lapor_report(t, stamp(i)) for i, t in enumerate(ids)]
    cursor_before = db.lapor_cursors.find_one({"_id": "padang"}) or {}
    double.plan(REPORTS, Fault(), fault)  # page 1 answers, page 2 fails
    before = counted(metrics.lapor_failures, "padang", "import", reason)
    broken = importer(settings, double).run_city("padang")
    assert broken.error == reason and broken.imported == 2
    assert counted(metrics.lapor_failures, "padang", "import", reason) - before == 1
    cursor = db.lapor_cursors.find_one({"_id": "padang"})
    assert cursor.get("updated_since") == cursor_before.get("updated_since")  # not moved
    recovered = importer(settings, double).run_city("padang")
    assert recovered.error is None and recovered.imported == 3
    assert recovered.known == recovered.fetched - 3  # the first two, and pages' overlaps
    assert all(len(imported(db, "padang", t)) == 1 for t in ids)


def test_failing_attachments_are_named_and_the_pass_goes_on(settings, db, double):
    """An expired signed link (403), a CDN down (503) and one too slow: each is named in the
    report, none stops the pass, and a 403 is not the city's token refused."""
    photo = varied_padang_photos(1, seed=1920)[0]
    double.files.update({"c.jpg": photo, "expired.jpg": photo, "down.jpg": photo,
                         "slow.jpg": photo})
    first, after = tracking(), tracking()
    double.reports["padang"] = [
        lapor_report(first, stamp(), lampiran=[
            {"url": double.file_url(name), "nama": name}
            for name in ("expired.jpg", "down.jpg", "slow.jpg", "c.jpg")]),
        lapor_report(after, stamp(1))]
    double.plan(ATTACHMENT, Fault(status=403), Fault(status=503), Fault(pause_s=3))
    unauthorized = counted(metrics.lapor_failures, "padang", "import", "unauthorized")
    failed = counted(metrics.lapor_failures, "padang", "import", "attachment")
    run = importer(settings, double).run_city("padang")
    assert run.error is None and run.imported == 2
    [report] = imported(db, "padang", first)
    assert len(report["photos"]) == 1
    assert all(name in report["description"]
               for name in ("expired.jpg", "down.jpg", "slow.jpg"))
    assert len(imported(db, "padang", after)) == 1
    assert counted(metrics.lapor_failures, "padang", "import", "unauthorized") == unauthorized
    assert counted(metrics.lapor_failures, "padang", "import", "attachment") - failed == 3
    assert db.lapor_cursors.find_one({"_id": "padang"})["last_error"] is None


def test_attachment_urls_reach_no_address_inside_the_platform(settings, db, double):
    """LAPOR!'s users and CDNs choose attachment URLs: the cloud metadata address and a
    server on this machine under a name that is not LAPOR!'s origin are never asked."""
    double.files["c.jpg"] = varied_padang_photos(1, seed=1921)[0]
    tracking_id = tracking()
    inside = double.file_url("c.jpg").replace("127.0.0.1", "localhost")
    double.reports["padang"] = [lapor_report(tracking_id, stamp(), lampiran=[
        {"url": "http://169.254.169.254/latest/meta-data/iam/", "nama": "metadata.jpg"},
        {"url": inside, "nama": "internal.jpg"}])]
    run = importer(settings, double).run_city("padang")
    assert run.error is None and run.imported == 1
    [report] = imported(db, "padang", tracking_id)
    assert report["no_photo"] is True
    assert "metadata.jpg" in report["description"] and "internal.jpg" in report["description"]
    assert double.calls("/files/") == 0


def test_a_report_changed_at_lapor_after_its_import_stays_one_report(settings, db, double):
    tracking_id = tracking()
    double.reports["padang"] = [lapor_report(tracking_id, stamp())]
    assert importer(settings, double).run_city("padang").imported == 1
    [report] = imported(db, "padang", tracking_id)
    # LAPOR! changes it; the connector's record of the link is what knows it.
    double.reports["padang"] = [lapor_report(tracking_id, stamp(5), isi="Sudah diperbaiki "
                                             "sebagian tetapi masih berlubang besar.")]
    again = importer(settings, double).run_city("padang")
    assert (again.imported, again.known) == (0, 1)
    assert [r["_id"] for r in imported(db, "padang", tracking_id)] == [report["_id"]]
    assert report["idempotency_key"] == idempotency_key("padang", tracking_id)


def test_the_command_runs_one_pass(stack, settings, db, double):
    tracking_id = tracking()
    double.reports["padang"] = [lapor_report(tracking_id, stamp())]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")},
           **stack.env(), "ADUAN_LAPOR_BASE_URL": double.url,
           "ADUAN_LAPOR_TOKENS": "padang=tok-padang-19", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "services.lapor.importer", "--once",
                           "--city", "padang"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"imported": 1' in done.stdout
    assert len(imported(db, "padang", tracking_id)) == 1


def test_a_report_intake_refuses_is_recorded_and_the_pass_goes_on(settings, db, double):
    good = tracking()
    double.reports["padang"] = [lapor_report("T 1/x", stamp()), lapor_report(good, stamp())]
    before = counted(metrics.lapor_failures, "padang", "import", "intake_refused")
    run = importer(settings, double).run_city("padang")
    assert run.error is None and (run.imported, run.refused) == (1, 1)
    assert counted(metrics.lapor_failures, "padang", "import", "intake_refused") - before == 1
    refused = db.lapor_cursors.find_one({"_id": "padang"})["refused"][-1]
    assert refused["tracking_id"] == "T 1/x"
    assert refused["reason"] == "intake_refused:validation_failed"
    assert len(imported(db, "padang", good)) == 1
