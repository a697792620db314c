"""Intake's category cache: a category made after the cache was filled is known at once."""

from __future__ import annotations

from fakes import fake_db

from aduan.infra.catalogue import CategoryCache


def test_a_category_made_after_the_cache_was_filled_is_known_at_once():
    db = fake_db()
    db.categories.insert_one({"city": "padang", "code": "waste", "name_id": "Sampah"})
    cache = CategoryCache(db, ttl_s=3600)
    assert cache.get("padang", "waste")["name_id"] == "Sampah"
    assert cache.get("padang", "market") is None

    db.categories.insert_one({"city": "padang", "code": "market", "name_id": "Pasar"})
    assert cache.get("padang", "market")["name_id"] == "Pasar"
    assert cache.get("depok", "market") is None
