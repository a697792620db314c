"""The public side of the console end to end (headless chromium driven by
tests/e2e/public_map.mjs): the public map and list with filters, "me too" on a report filed
nearby while a resident files in the same category, and the agencies' scorecard; then the
base map with a tile server configured (a small tile server beside the test) and with that
server down (the city's polygons again). The API is asked whether the resident really follows
the report; the link of the confirmation mail (the suite's mail sink) confirms it, and then
the link in the follower's mail stops it.
Screenshots go to tests/artifacts/console-public-map/."""

from __future__ import annotations

import random
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from console_driver import run_script
from notification_helpers import mails, text_of
from photo_factory import moved_north, photo_of_its_own, spot_of_its_own
from stack_client import REPORT, submit, wait_for_status
from staff_accounts import city_sysadmin, staff_through_api
from tile_server import TileServer
from waiting import eventually

from tools.devstack import Stack, _ready

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-public-map"
ATTRIBUTION = "© Peta Uji <contributors>"


def _file(api: str, rng: random.Random, lat: float, lon: float, **changes: str) -> str:
    response = submit(api, photo_of_its_own(rng, lat, lon),
                      {**REPORT, "location": {"lat": lat, "lon": lon}, **changes})
    assert response.status_code == 202, response.text
    receipt = response.json()
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    return receipt["code"]


@contextmanager
def gateway_with(stack: Stack, overrides: dict[str, str]) -> Iterator[None]:
    """The stack's gateway restarted with these settings; restored afterwards."""
    port = stack.profile.http_ports["gateway"]

    def restart() -> None:
        stack.stop_process("gateway")
        stack.start_http("gateway")
        eventually(lambda: _ready(port), 60, "the gateway back", every_s=0.2)

    stack.overrides.update(overrides)
    restart()
    try:
        yield
    finally:
        for key in overrides:
            stack.overrides.pop(key)
        restart()


def test_the_public_map_me_too_the_scorecard_and_the_base_map(stack: Stack):
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    rng = random.Random()
    spot = spot_of_its_own(rng, "padang")
    first = _file(api, rng, *spot)
    secret = _file(api, rng, *moved_north(spot, 60), privacy="confidential")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    email = f"tetangga-{uuid.uuid4().hex[:8]}@example.id"
    config = {"base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS),
              "first": first, "secret": secret, "here": list(moved_north(spot, 25)),
              "category": "waste", "other_category": "road", "agency": "DLH",
              "email": email, "phase": "polygons"}
    seen = run_script("public_map.mjs", config)

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["base"] == "polygons" and seen["attribution"] == [] and seen["filled_areas"] > 5
    assert {"Peta laporan", "Rapor instansi"} <= set(seen["nav"])
    assert seen["heading"] == "Peta laporan warga"
    assert "Sampah" in seen["first_row"] and "Diteruskan" in seen["first_row"]
    assert seen["markers"] >= 1 and seen["unlabelled_map"] == []
    assert secret not in seen["filtered_summary"]
    assert seen["type_options"] == ["Semua jenis", "Pengaduan", "Aspirasi",
                                    "Permintaan informasi"]
    assert seen["nearby_heading"] == "Sudah dilaporkan di dekat sini?"
    assert seen["nearby_count"] == 1  # the confidential one 35 m away is not offered
    assert "25 m" in seen["nearby_entry"] and REPORT["description"] in seen["nearby_entry"]
    assert seen["unlabelled_submit"] == []
    assert seen["following"] == (
        "Periksa email atau SMS Anda (bila sudah mengikuti, tidak ada yang berubah): buka "
        "tautan konfirmasinya dalam 48 jam untuk mulai menerima kabar laporan " + first)
    assert seen["scorecard_heading"] == "Rapor instansi"
    assert seen["scorecard_headers"][:3] == ["Instansi", "Diterima", "Median tindak lanjut"]
    assert seen["scorecard_row"][0] == "Dinas Lingkungan Hidup"
    assert int(seen["scorecard_row"][1]) >= 1
    assert seen["scorecard_90_heading"].startswith("Laporan masuk")
    assert seen["scorecard_names_a_report"] is False
    nearby = requests.get(f"{api}/reports/nearby", params={
        "category": "waste", "lat": spot[0], "lon": spot[1]}, timeout=10).json()["items"]
    assert [(r["code"], r["followers"]) for r in nearby] == [(first, 0)]  # not confirmed yet

    # The link of the confirmation mail confirms (its token leaves the address bar).
    [asked] = eventually(lambda: mails(stack.maildir, email, f"Konfirmasi: ikuti laporan {first}"),
                         60, "the confirmation mail")
    [follow_fragment] = re.findall(r"#/follow/\S+", text_of(asked))
    confirmed = run_script("public_map.mjs", {**config, "phase": "follow",
                                              "follow_fragment": follow_fragment})
    assert confirmed["address_after_open"] == "#/follow"
    assert confirmed["question"] == f"Terima kabar perkembangan laporan {first}?"
    assert confirmed["followed"] == f"Anda mengikuti laporan {first}"
    assert confirmed["outside_requests"] == [] and confirmed["page_errors"] == []
    nearby = requests.get(f"{api}/reports/nearby", params={
        "category": "waste", "lat": spot[0], "lon": spot[1]}, timeout=10).json()["items"]
    assert [(r["code"], r["followers"]) for r in nearby] == [(first, 1)]

    # The agency takes the report up: the follower's mail carries the link that stops them.
    sysadmin = city_sysadmin(api, "padang")
    admin, _ = staff_through_api(api, sysadmin, "agency_admin", "padang", "DLH")
    assert requests.post(f"{api}/reports/{first}/actions/accept", json={},
                         headers=admin.headers, timeout=10).status_code == 200
    [told] = eventually(lambda: mails(stack.maildir, email, f"Laporan yang Anda ikuti {first}"),
                        60, "the follower's mail")
    [fragment] = re.findall(r"#/unfollow/\S+", text_of(told))
    stopped = run_script("public_map.mjs", {**config, "phase": "unfollow",
                                            "stop_fragment": fragment})
    assert stopped["address_after_open"] == "#/unfollow"  # the token is out of the bar
    assert stopped["question"] == f"Berhenti menerima kabar laporan {first}?"
    assert stopped["unfollowed"] == f"Anda tidak lagi mengikuti laporan {first}"
    assert stopped["outside_requests"] == [] and stopped["page_errors"] == []
    nearby = requests.get(f"{api}/reports/nearby", params={
        "category": "waste", "lat": spot[0], "lon": spot[1]}, timeout=10).json()["items"]
    assert [(r["code"], r["followers"]) for r in nearby] == [(first, 0)]

    with TileServer() as tiles, gateway_with(stack, {"MAP_TILE_URL": tiles.template,
                                                     "MAP_TILE_ATTRIBUTION": ATTRIBUTION}):
        page = requests.get(api.removesuffix("/api/v1") + "/", timeout=10)
        assert f"img-src 'self' data: blob: http://127.0.0.1:{tiles.port};" in \
            page.headers["Content-Security-Policy"]
        drawn = run_script("public_map.mjs", {**config, "phase": "tiles"})
        assert drawn["base"] == "tiles" and drawn["tile_images"] > 0 and tiles.served > 0
        assert drawn["filled_areas"] == 0  # outlines over the tiles
        assert drawn["attribution"] == [ATTRIBUTION]  # as text, not markup
        assert drawn["outside_requests"] == [] and drawn["page_errors"] == []
        tiles.stop()
        down = run_script("public_map.mjs", {**config, "phase": "unreachable"})
        assert down["base"] == "polygons" and down["tile_images"] == 0
        assert down["filled_areas"] == seen["filled_areas"]  # the polygons, as without tiles
        assert down["page_errors"] == []
    for name in ("m1-map", "m2-map-filtered", "m3-nearby", "m4-me-too", "m4b-follow-asked",
                 "m4c-followed", "m5-scorecard-30",
                 "m5-scorecard-90", "m6-map-tiles", "m7-map-tiles-down", "m8-unfollow-asked",
                 "m9-unfollowed"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
