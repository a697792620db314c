"""Intake's category cache: a category made after the cache was filled is known at once."""

from __future__ import annotations

from fakes import fake_db

from aduan.infra.catalogue import CategoryCache


def test_a_category_made_after_the_cache_was_filled_is_known_at_once():
    db = fake_db()
    # The cache's own unit test over the in-memory fake: the categories are what routing's
    # catalogue API stores, a service this one does not run (integration: test_report_types_
    # end_to_end.py makes one through the API and files in it at once).
    db.categories.insert_one({"city": "padang", "code": "waste", "name_id": "Sampah"})
    cache = CategoryCache(db, ttl_s=3600)
    assert cache.get("padang", "waste")["name_id"] == "Sampah"
    assert cache.get("padang", "market") is None

    db.categories.insert_one({"city": "padang", "code": "market", "name_id": "Pasar"})
    assert cache.get("padang", "market")["name_id"] == "Pasar"
    assert cache.get("depok", "market") is None
