"""The LAPOR! topic → category mapping (services/lapor/topics.py) over the in-memory database.

The look-up's own unit test: its mapping rows (unmapped, deleted, a parent loop, a category
the city removed) are written directly, the loop being one the API refuses to make; the
API's edits are tested in test_lapor_topics_api.py and on the stack."""

from __future__ import annotations

from services.lapor import topics
from tests.fakes import seeded_fake_db


def test_a_topic_maps_to_its_own_category_else_its_parents_else_none():
    db = seeded_fake_db()
    assert topics.category_for(db, "padang", "201", "2") == "waste"
    assert topics.category_for(db, "padang", 201) == "waste"  # numbers as LAPOR! sends them
    # A sub-topic the city has not mapped: the parent the report names.
    assert topics.category_for(db, "padang", "2999", "2") == "environment"
    # A stored sub-topic without a category of its own: its stored parent.
    db.lapor_topics.update_one({"_id": "padang:101"}, {"$set": {"category": None}})
    assert topics.category_for(db, "padang", "101") == "road"
    # A grouping topic without a category, and an unknown one without a parent: nothing.
    assert topics.category_for(db, "padang", "11") is None
    assert topics.category_for(db, "padang", "777") is None
    assert topics.category_for(db, "padang", None) is None


def test_deleted_topics_and_vanished_categories_map_to_nothing_and_seeding_keeps_edits():
    db = seeded_fake_db()
    topics.ensure_seeded(db)
    db.lapor_topics.update_one({"_id": "jambi:201"}, {"$set": {"deleted": True}})
    db.lapor_topics.update_one({"_id": "jambi:5"}, {"$set": {"category": "gone"}})
    db.lapor_topics.update_one({"_id": "jambi:2"}, {"$set": {"parent_id": "201"}})  # a loop
    topics.ensure_seeded(db)
    assert topics.category_for(db, "jambi", "201", "2") == "environment"
    assert topics.category_for(db, "jambi", "5") is None
    db.lapor_topics.update_one({"_id": "jambi:201"}, {"$set": {"deleted": False,
                                                             "category": None}})
    db.lapor_topics.update_one({"_id": "jambi:2"}, {"$set": {"category": None}})
    assert topics.category_for(db, "jambi", "201") is None
    # Each city its own table.
    assert topics.category_for(db, "padang", "201") == "waste"


def test_the_fallback_is_other_else_the_first_category():
    db = seeded_fake_db()
    assert topics.fallback_category(db, "padang") == "other"
    db.categories.delete_one({"city": "padang", "code": "other"})
    assert topics.fallback_category(db, "padang") == "administration"


def test_every_seeded_topic_maps_to_a_shared_category_and_names_a_seeded_parent():
    from aduan.infra.catalogue import shared_categories
    codes = {c["code"] for c in shared_categories()}
    ids = {t["id"] for t in topics.seed_topics()}
    for topic in topics.seed_topics():
        assert topic["category"] is None or topic["category"] in codes, topic
        assert topic["parent_id"] is None or topic["parent_id"] in ids, topic


def test_a_forwarded_reports_topic_is_the_mapping_read_backwards():
    db = seeded_fake_db()
    assert topics.topic_for(db, "padang", "waste") == "201"
    assert topics.category_for(db, "padang", topics.topic_for(db, "padang", "road")) == "road"
    assert topics.topic_for(db, "padang", "no_such_category") is None
    # Written straight into the fake: the mapping as DELETE /lapor/topics/<id> leaves it (a unit
    # test of the look-up; the API's own path is tests/integration/test_lapor_mapping.py).
    db.lapor_topics.update_one({"_id": "padang:201"}, {"$set": {"deleted": True}})
    assert topics.topic_for(db, "padang", "waste") is None
