"""The topic mapping API (services/lapor/topics_api.py) over the Flask test client and the
in-memory database: a topic added twice at once is one topic, and an edit keeps what it does
not name."""

from __future__ import annotations

from fakes import NothingRevoked, seeded_fake_db
from pymongo.errors import DuplicateKeyError

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.web.auth import Principal, issue_access_token
from services.lapor.app import create_app
from services.lapor.topics import COLLECTION, category_for

SETTINGS = Settings(public_base_url="https://aduan.example")


def _client(db):
    app = create_app(SETTINGS, Backends(SETTINGS, db=db))
    app.extensions["aduan_revocations"] = NothingRevoked()
    return app.test_client()


def _sysadmin() -> dict[str, str]:
    token = issue_access_token(SETTINGS, Principal("sysadmin-padang", "sysadmin", "padang"))
    return {"Authorization": f"Bearer {token}"}


def test_a_topic_added_by_two_sysadmins_at_once_is_one_topic(monkeypatch):
    db = seeded_fake_db()
    client = _client(db)
    real = type(db[COLLECTION]).update_one

    def raced(self, query, update, upsert=False, **kwargs):
        if upsert:  # the other sysadmin's insert lands first
            real(self, query, update, upsert=True, **kwargs)
            raise DuplicateKeyError("E11000 duplicate key")
        return real(self, query, update, upsert=upsert, **kwargs)

    monkeypatch.setattr(type(db[COLLECTION]), "update_one", raced)
    done = client.put("/lapor/topics/555", json={"category": "road", "name": "Jembatan"},
                      headers=_sysadmin())
    assert done.status_code == 200, done.get_json()
    assert db[COLLECTION].count_documents({"_id": "padang:555"}) == 1
    assert category_for(db, "padang", "555") == "road"


def test_an_edit_keeps_the_name_and_parent_it_does_not_name():
    db = seeded_fake_db()
    client = _client(db)
    done = client.put("/lapor/topics/201", json={"category": "environment"},
                      headers=_sysadmin())
    assert done.get_json() | {"updated_at": None} == {
        "topic_id": "201", "parent_id": "2", "name": "Sampah dan Kebersihan",
        "category": "environment", "category_name": "Lingkungan", "seeded": True,
        "updated_at": None}
