"""Possible duplicates in the console end to end (headless chromium driven by
tests/e2e/duplicates.mjs): two reports of the same category 20 m apart, filed through the API;
the operator, made by the city's sysadmin through the user API, opens the later one, finds the
earlier one listed and marks the report its duplicate in one click. The API is then asked
whether it really happened. Screenshots go to tests/artifacts/console-duplicates/."""

from __future__ import annotations

import io
import math
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import piexif
import pytest
import requests
from console_driver import run_script
from photo_factory import INSIDE, WIB, camera_photo
from PIL import Image
from stack_client import REPORT, submit, wait_for_status
from staff_accounts import PASSWORD, city_sysadmin, staff_through_api

from tools.devstack import Stack

pytestmark = pytest.mark.stack
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts" / "console-duplicates"
METRES_PER_DEGREE = 111_195.0


def _file(api: str, rng: random.Random, lat: float, lon: float) -> str:
    """A "waste" report at the spot with a fresh camera photo of a picture of its own."""
    blocks = Image.new("L", (9, 8))
    blocks.putdata([rng.randrange(256) for _ in range(72)])
    picture = blocks.resize((640, 480), Image.Resampling.BICUBIC).convert("RGB")
    exif = piexif.load(camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=10)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=piexif.dump(exif))
    response = submit(api, out.getvalue(), {**REPORT, "location": {"lat": lat, "lon": lon}})
    assert response.status_code == 202, response.text
    receipt = response.json()
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    return receipt["code"]


def test_an_operator_marks_a_report_a_duplicate_of_the_one_listed_beside_it(stack: Stack):
    api = f"http://127.0.0.1:{stack.profile.http_ports['gateway']}/api/v1"
    rng = random.Random()
    # A spot of its own, 200-400 m from where other tests file their reports.
    lat, lon = INSIDE["padang"]
    metres, angle = rng.uniform(200, 400), rng.uniform(0, 2 * math.pi)
    lat += metres * math.sin(angle) / METRES_PER_DEGREE
    lon += metres * math.cos(angle) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    first = _file(api, rng, lat, lon)
    second = _file(api, rng, lat + 20 / METRES_PER_DEGREE, lon)
    sysadmin = city_sysadmin(api, "padang")
    operator, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Kota")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = {"base_url": api.removesuffix("/api/v1"), "artifacts": str(ARTIFACTS),
              "first": first, "second": second, "operator": operator.username,
              "password": PASSWORD}
    seen = run_script("duplicates.mjs", config)

    assert seen["outside_requests"] == [] and seen["page_errors"] == []
    assert seen["heading"] == "Mungkin laporan yang sama"
    assert seen["entries"] == 1
    assert first in seen["entry"] and "lokasi dekat, kategori sama" in seen["entry"]
    assert "20 m" in seen["entry"]
    assert seen["link"] == f"#/staff/report/{first}"
    assert seen["button"] == "Tandai duplikat dari laporan ini"
    assert seen["status_after"] == "duplicate" and seen["buttons_after"] == 0

    view = requests.get(f"{api}/staff/reports/{second}", headers=operator.headers,
                        timeout=10).json()
    assert view["status"] == "duplicate"
    history = requests.get(f"{api}/reports/{second}/workflow", headers=operator.headers,
                           timeout=10).json()["history"]
    assert history[-1]["to"] == "duplicate"
    for name in ("d1-possible-duplicates", "d2-marked-duplicate"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
