"""A small world for the routing service's unit tests: the seeded catalogue in an in-memory
database, reports placed in a status, the workflow over fakes (tests/fakes.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes import FakePublisher, FakeStore, NothingRevoked, seeded_fake_db
from flask.testing import FlaskClient
from pymongo.database import Database

from aduan.domain.codes import new_code
from aduan.infra.backends import Backends
from aduan.infra.calendar import WorkCalendar
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines
from services.routing.actions import Workflow
from services.routing.app import create_app

# No other process to wait for after a catalogue change (aduan/infra/versioned_cache.py).
SETTINGS = Settings(public_base_url="https://aduan.example", cache_check_s=0.0)
DEADLINES = Deadlines(SETTINGS, WorkCalendar())


def seeded_db() -> Database:
    """A database with every city's seed catalogue, as the services seed it at start-up."""
    return seeded_fake_db()


def routing_client(db: Database) -> FlaskClient:
    """The routing service's HTTP app over `db` and fakes, for the Flask test client."""
    app = create_app(SETTINGS, Backends(SETTINGS, db=db, store=FakeStore(),
                                        publisher=FakePublisher()))
    app.extensions["aduan_revocations"] = NothingRevoked()
    return app.test_client()


def place(db: Database, status: str, *, category: str = "waste",
          agencies: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    """A report stored in `status`, as if it had got there."""
    now = datetime.now(UTC)
    report = {
        "_id": uuid.uuid4().hex, "code": new_code("PDG", 2026), "city": "padang",
        "category": category, "description": "Laporan uji", "channel": "app",
        "privacy": "public", "location": {"lat": -0.9726, "lon": 100.4057},
        "reporter": None, "photos": [], "status": status,
        "created_at": now - timedelta(hours=1), "updated_at": now, "outbox": [],
        "history": [{"at": now, "from": None, "to": "submitted",
                     "actor": {"kind": "reporter", "id": None, "role": None}, "note": None}],
        "agencies": agencies or [], **fields,
    }
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    db.reports.insert_one(report)
    return report


def assignment(code: str, status: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "kind": "opd", "status": status,
            "forwarded_at": datetime.now(UTC) - timedelta(minutes=30),
            "due_at": datetime.now(UTC) + timedelta(days=5), "responded_at": None, **fields}


def workflow(db: Database | None = None) -> Workflow:
    return Workflow(SETTINGS, db if db is not None else seeded_db(), FakeStore(),
                    FakePublisher(), DEADLINES)


def stored(db: Database, report: dict[str, Any]) -> dict[str, Any]:
    return db.reports.find_one({"_id": report["_id"]})
