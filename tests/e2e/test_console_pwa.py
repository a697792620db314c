"""The resident app as an installed progressive web app, end to end in headless chromium
(tests/e2e/pwa.mjs): installable, opens offline, keeps a report written without a signal and
files it once when the signal is back, resumes a chunked photo upload where it broke, and shows
a push notification of a status change (the suite's push double stands in for the browser
vendor's push service). Screenshots go to tests/artifacts/pwa/."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from push_double import PushDouble, subscription_id
from stack_client import REPORT, submit
from waiting import eventually
from workflow_client import act, bearer, workflow

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "pwa"


@pytest.fixture(scope="module")
def base_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"


def _wait_for_file(folder: Path, name: str, script: subprocess.Popen) -> dict:
    """What the script handed over in `folder/name.json` (it fails at once if the script ends
    first)."""
    path = folder / f"{name}.json"

    def written() -> list[dict] | None:  # in a list: an empty answer is an answer too
        if path.exists():
            return [json.loads(path.read_text())]
        assert script.poll() is None, f"pwa.mjs ended before {name}:\n{script.stderr.read()}"
        return None

    return eventually(written, 180, f"pwa.mjs's {name}.json", every_s=0.2)[0]


def test_the_resident_app_installs_works_offline_resumes_uploads_and_gets_pushes(
        stack, base_url, tmp_path):
    settings = Settings.from_env()
    db = get_db(settings)
    api = f"{base_url}/api/v1"
    lat, lon = INSIDE["padang"]
    photo, big = tmp_path / "photo.jpg", tmp_path / "big.jpg"
    not_a_photo = tmp_path / "note.jpg"
    not_a_photo.write_bytes(b"not a photo, a note someone picked from the phone's files\n" * 20)
    photo.write_bytes(fresh_padang_photo())
    # A 2 MB camera photo: eight 256 KiB chunks.
    big.write_bytes(camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=15),
                                 source="iphone_hdr_YES.jpg"))
    run = uuid.uuid4().hex[:8]
    # Two reports the same resident filed on another phone, with their email.
    email = f"pelapor.{run}@example.id"
    elsewhere = []
    for text in ("Saluran air tersumbat di gang masjid", "Pohon tumbang menutup trotoar"):
        filed = submit(api, fresh_padang_photo(), {
            **REPORT, "description": f"{text} {run}",
            "reporter": {"email": email, "language": "id"}})
        assert filed.status_code == 202, filed.text
        elsewhere.append(filed.json()["code"])
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    handshake = tmp_path / "handshake"
    handshake.mkdir()
    with PushDouble(vapid_public_key=settings.vapid_public_key) as double:
        subscription = double.subscription()
        sid = subscription_id(subscription)
        config = {
            "base_url": base_url, "artifacts": str(ARTIFACTS), "handshake": str(handshake),
            "photo": str(photo), "big_photo": str(big), "lat": lat, "lon": lon,
            # "other" has no routing rule: the report waits verified for an operator.
            "category": "other",
            "description": f"Lampu jalan padam di tikungan, dilaporkan tanpa sinyal {run}",
            "big_description": f"Jalan berlubang besar di depan sekolah, foto besar {run}",
            "not_a_photo": str(not_a_photo),
            "refused_description": f"Foto yang bukan foto, ditolak server {run}",
            "break_after": 3, "push_subscription": subscription,
            "maildir": str(stack.maildir), "email": email, "elsewhere": elsewhere,
        }
        script = subprocess.Popen(["node", str(HERE / "pwa.mjs")], cwd=HERE, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env={**os.environ, "ADUAN_E2E": json.dumps(config),
                                       # context.setOffline reaches the service worker's
                                       # own fetches only with this (playwright-core 1.49).
                                       "PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS": "1"})
        try:
            subscribed = _wait_for_file(handshake, "subscribed", script)
            # The page registered the device for both its reports (read only: the page made it).
            registered = db.push_subscriptions.count_documents(
                {"endpoint": subscription["endpoint"]})
            # A status change of the first report: an operator forwards it to DLH.
            code = subscribed["code"]  # the report filed offline
            operator = bearer(settings, "operator")
            eventually(lambda: workflow(api, code, operator)["forward_due_at"], 30,
                       f"{code} waiting for an operator")
            forwarded = act(api, code, "forward", operator,
                            {"agencies": ["DLH"], "note": "Diteruskan ke DLH"})
            assert forwarded.status_code == 200, forwarded.text
            message = next(m for m in double.wait_for(sid, timeout_s=60)
                           if m.payload.get("code") == code)
            (handshake / "pushed.json").write_text(json.dumps({"payload": message.payload}))
            _wait_for_file(handshake, "followed", script)
            # Followed from its tracking page without a token: a follower's registration.
            follower = eventually(lambda: db.push_subscriptions.find_one(
                {"endpoint": subscription["endpoint"], "code": elsewhere[1]}), 30,
                "the device's registration for the followed report")
            (handshake / "follower_seen.json").write_text("{}")
            _wait_for_file(handshake, "recovered", script)
            # The two recovered reports joined the device's registrations (the page's
            # requests after the recovery: waited for, read only).
            with_recovered = eventually(lambda: (n := db.push_subscriptions.count_documents(
                {"endpoint": subscription["endpoint"]})) == 4 and n, 30,
                "4 push registrations of the device")
            (handshake / "counted.json").write_text("{}")
            out, err = script.communicate(timeout=240)
        finally:
            if script.poll() is None:
                script.kill()
        assert script.returncode == 0, f"pwa.mjs failed:\n{out[-3000:]}\n{err[-6000:]}"
    seen = json.loads(out.strip().splitlines()[-1])
    assert registered == 2 and with_recovered == 4
    assert follower["role"] == "follower"
    # "Turn off" made the server forget the device.
    assert db.push_subscriptions.count_documents({"endpoint": subscription["endpoint"]}) == 0
    (ARTIFACTS / "seen.json").write_text(json.dumps(seen, indent=1))

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    # Installable: the manifest parsed with its icons, the worker in control, no complaint.
    assert seen["installability"] == [], seen["installability"]
    assert seen["manifest_errors"] == []
    assert seen["manifest_url"] == f"{base_url}/manifest.webmanifest"
    assert seen["manifest"]["display"] == "standalone" and seen["manifest"]["lang"] == "id"
    assert seen["manifest_link_en"] == "/manifest.en.webmanifest"
    assert seen["manifest_link_id"] == "/manifest.webmanifest"
    [shell] = [name for name in seen["caches"] if name.startswith("aduan-shell-")]
    assert {"/", "/static/js/app.js", "/static/js/outbox.js", "/static/css/app.css",
            "/static/vendor/leaflet/leaflet.js"} <= set(seen["caches"][shell])
    assert {"/api/v1/categories", "/names.json", "/geo/padang.geojson"} <= set(
        seen["caches"]["aduan-data"])

    # Offline really was offline for the worker too: it tried the network (so its kept
    # answers were what the page got), and no request of it was answered meanwhile; the
    # form had the city's categories all the same.
    assert seen["worker_offline_answered"] == []
    assert "/api/v1/categories" in seen["worker_offline_tried"], seen["worker_offline_tried"]
    assert "other" in seen["offline_categories"] and len(seen["offline_categories"]) > 1
    # Offline: kept on the phone with the original file and the device's own reading.
    assert "Menunggu dikirim" in seen["offline_outbox"]
    assert "disimpan di ponsel" in seen["offline_flash"]
    [entry] = seen["offline_entry"]
    assert entry["size"] == photo.stat().st_size and entry["type"] == "image/jpeg"
    assert entry["device"]["accuracy_m"] == 12
    assert abs(entry["device"]["lat"] - lat) < 1e-6 and entry["device"]["taken_at"]
    # Each outbox card's status line is a live region (read out as it changes).
    assert seen["offline_status_roles"] == 1
    # Back online: sent twice (the first answer lost), with the same key; filed once, though
    # a second tab of the app was open too (one tab sends an entry; the other saw it go).
    assert seen["posts"] == [entry["key"], entry["key"]]
    assert f"Terkirim, kode {seen['code']}" in seen["other_tab_sent"]
    assert f"Terkirim, kode {seen['code']}" in seen["sent_text"]
    assert seen["sent_flash"] == f"Terkirim, kode {seen['code']}"  # not "kept on this phone"
    # Counted in the database: the API lists no report by its text (read only; the page and
    # the API made the state).
    filed = list(db.reports.find({"description": config["description"]}))
    assert [r["code"] for r in filed] == [seen["code"]]
    assert filed[0]["photos"][0]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert filed[0]["device_location"]["accuracy_m"] == 12

    # A report the server refuses is not sent again: it says why, and is deleted on request.
    assert seen["refused_text"].startswith("Tidak terkirim: "), seen["refused_text"]
    # ... in the reader's language (the code kept, translated when drawn; not the server's
    # English message).
    assert seen["refused_text"] == "Tidak terkirim: Berkas ini bukan foto yang didukung " \
        "(JPEG, PNG, WebP).", seen["refused_text"]
    assert seen["refused_left"] == 0  # nor was the first report's entry written back
    # Sent on the browser's own "online" event, before the 5 s retry timer could have.
    assert seen["refused_after_ms"] < 4500, seen["refused_after_ms"]
    assert db.reports.count_documents({"description": config["refused_description"]}) == 0

    # The chunked upload: a break after three chunks; the rest only, then filed.
    assert seen["chunks_before"] == [0, 1, 2]
    # The chunk after the break hung with no answer: the page gave it up on its own timeout
    # (an aborted request, tried again later), not waiting for ever.
    assert seen["chunk_hung"] == 1
    assert "net::ERR_ABORTED" in seen["chunk_failures"], seen["chunk_failures"]
    total = -(-big.stat().st_size // (256 * 1024))
    assert sorted(seen["chunks_after"]) == list(range(3, total))
    assert any(call.startswith("GET /api/v1/uploads/") for call in seen["upload_calls"])
    assert "Menunggu dikirim (40% sudah terkirim)" in seen["interrupted_text"]
    assert any("Mengirim" in text and "%" in text for text in seen["progress"])
    # ... in one status line updated in place (a live region, not redrawn per chunk) ...
    assert seen["status_marks"][0] == "marked" and set(seen["status_marks"][1:]) == {"first"}
    # ... and on the submit page's button, in 10% steps.
    assert any(re.fullmatch(r"Mengirim [1-9]0%", text) for text in seen["submit_texts"]), \
        seen["submit_texts"]
    [big_report] = list(db.reports.find({"description": config["big_description"]}))
    assert big_report["code"] == seen["big_code"]
    assert big_report["photos"][0]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert set(seen["reporters"]) == {seen["code"], seen["big_code"]}

    # A repeat visit with no network shows the app and the reports kept on the phone.
    assert "Laporan saya" in seen["repeat_offline_text"]
    assert "Anda sedang offline" in seen["repeat_offline_text"]
    assert seen["code"] in seen["repeat_offline_text"]
    # ... with what each is about and its stage as last seen, saying it may be old.
    assert config["description"] in seen["repeat_offline_text"]
    assert "Tahap terbaru belum bisa dimuat" in seen["repeat_offline_text"]

    # Push: the worker shows what the notification service sent, a tap opens the report.
    assert seen["push_state"] == "Notifikasi aktif di perangkat ini."
    # A replaced subscription (another endpoint than the kept one): re-registered at start.
    assert seen["resync_registrations"] == 4
    assert seen["resync_endpoint"] == subscription["endpoint"]
    assert seen["push_partial_flash"].endswith("; jumlah: 1"), seen["push_partial_flash"]
    assert seen["push_key"] == 65  # the VAPID public key, an uncompressed P-256 point
    assert seen["payload"]["url"] == f"/#/track/{code}"
    [shown] = seen["notifications"]
    assert shown["title"] == seen["payload"]["title"] and shown["body"] == seen["payload"]["body"]
    assert shown["data"]["url"] == f"/#/track/{code}"
    assert seen["offsite"]["data"]["url"] == "/#/mine"  # another site's address not opened
    # The worker kept only the documents and polygons, nothing asked with a credential.
    assert set(seen["kept_data"]) <= {"/names.json", "/config.json", "/api/v1/categories",
                                      "/geo/padang.geojson", "/geo/padang_kecamatan.geojson"}
    assert "Reports from this device" in seen["english_text"]
    assert f"Sent, code {seen['code']}" in seen["english_text"]
    assert "Notifications are on for this device." in seen["english_text"]
    # Recovered with a one-time code: the report whose code was typed and the other one of the
    # same email, marked as recovered, each with its text and stage.
    assert set(elsewhere) <= set(seen["recovered"])
    assert "dipulihkan dengan kode sekali pakai" in seen["recovered"][elsewhere[1]]
    assert f"Pohon tumbang menutup trotoar {run}" in seen["recovered"][elsewhere[1]]
    for name in ("02-offline-outbox", "04-upload-interrupted", "05-upload-resuming",
                 "06-repeat-visit-offline", "07-mine-push-on"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
    # A new version taking over: a banner while a report is being typed (the text kept), a
    # reload otherwise.
    assert seen["update_banner"] == "Versi baru tersedia — muat ulang Muat ulang"
    assert seen["update_kept_text"] == "Sedang menulis laporan"
    assert seen["update_reloaded"] is True
    assert (ARTIFACTS / "09-mine-recovered.png").stat().st_size > 10_000
