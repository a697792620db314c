"""Submits a few sample reports to a running `make up` stack and prints their tracking codes."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from photo_factory import INSIDE, WIB, camera_photo

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from gateway.users import NewUser, create_user
from tools.devstack import DEV, ROOT, Stack

GATEWAY = "http://127.0.0.1:8080/api/v1"
SAMPLES = [
    ("padang", "waste", "Sampah menumpuk di pinggir jalan dekat pasar"),
    ("padang", "road", "Jalan berlubang besar di depan sekolah dasar"),
    ("depok", "parking", "Parkir liar menutup trotoar setiap sore hari"),
    ("padang", "drainage", "Foto lama (tiga hari lalu): drainase tersumbat"),
]


DEMO_STAFF = [("operator.padang", "operator", None), ("dlh.padang", "agency_admin", "DLH"),
              ("pupr.padang", "officer", "PUPR"), ("kepala.dlh.padang", "agency_head", "DLH"),
              ("pimpinan.padang", "leader", None), ("admin.padang", "sysadmin", None)]
DEMO_PASSWORD = "aduan-demo-2026"  # local demo stack only


def ensure_demo_staff() -> None:
    """Staff accounts for trying the staff API on the local stack (never in production)."""
    env = Stack(DEV, ROOT / ".run" / "dev").env()
    os.environ.update(env)
    db = get_db(Settings.from_env())
    for username, role, agency in DEMO_STAFF:
        if db.users.find_one({"username": username}) is None:
            # An address in the local mail sink, so the demo shows who hears what.
            create_user(db, NewUser(username=username, password=DEMO_PASSWORD, role=role,
                                    city="padang", agency=agency,
                                    email=f"{username}@padang.example.go.id"))
    print(f"staff accounts (password {DEMO_PASSWORD!r}): "
          + ", ".join(f"{u} ({r})" for u, r, _ in DEMO_STAFF))


def main() -> None:
    ensure_demo_staff()
    codes = []
    for index, (city, category, description) in enumerate(SAMPLES):
        lat, lon = INSIDE[city]
        stale = index == len(SAMPLES) - 1
        taken = datetime.now(WIB) - (timedelta(days=3) if stale else timedelta(minutes=15))
        photo = camera_photo(lat, lon, taken)
        report = {"city": city, "category": category, "description": description,
                  "location": {"lat": lat, "lon": lon},
                  "reporter": {"email": f"warga{index}@example.id"}}
        response = requests.post(
            f"{GATEWAY}/reports",
            files={"report": (None, json.dumps(report), "application/json"),
                   "photo": ("photo.jpg", photo, "image/jpeg")},
            timeout=30,
        )
        response.raise_for_status()
        codes.append(response.json()["code"])
    time.sleep(3)
    for code in codes:
        view = requests.get(f"{GATEWAY}/reports/{code}", timeout=10).json()
        print(f"{code}  {view['status']:<13} {view['category']:<9} agencies={view['agencies']}"
              f"  {GATEWAY}/reports/{code}")


if __name__ == "__main__":
    main()
