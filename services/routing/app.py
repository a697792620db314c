"""Routing HTTP service: the category catalogue, health, readiness and metrics."""

from __future__ import annotations

from flask import Flask, jsonify, request

from aduan.catalogue import cities, ensure_seeded
from aduan.config import Settings
from aduan.db import ensure_indexes, get_db, ping
from aduan.errors import ApiError
from aduan.web import create_app as create_service_app


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)

    def startup() -> None:
        ensure_indexes(db)
        ensure_seeded(db)

    app = create_service_app(
        "routing", settings, readiness={"mongo": lambda: ping(db)}, startup=startup
    )

    @app.get("/categories")
    def list_categories():
        city = request.args.get("city", settings.default_city)
        if city not in cities():
            raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
        items = db.categories.find({"city": city}, {"_id": 0}).sort("code", 1)
        return jsonify({"city": city, "categories": list(items)})

    return app
