"""The public scorecard: `GET /scorecard?city=&days=30|90`, anyone. Per agency of the city,
the reports it received, the median follow-up and resolution times, the share of deadlines
met and the average rating over the last 30 or 90 days (`aduan.domain.scorecard`), from the
leaders' figures (`stats_api.city_figures`: the same computation, the same reports,
confidential ones counted and never shown).

Each answer is kept for ADUAN_SCORECARD_CACHE_S (5 minutes) per process, city and period: the
public may ask as often as it likes, the figures are read from the database at most that
often (the test stack keeps none)."""

from __future__ import annotations

import threading
import time as clock
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from aduan.contracts.public import ScorecardQuery
from aduan.domain.scorecard import scorecard
from aduan.infra import figures as queries
from aduan.infra.catalogue import cities
from aduan.web.app import collaborators
from aduan.web.errors import ApiError
from aduan.web.validation import validate
from services.routing.stats_api import city_figures

blueprint = Blueprint("scorecard", __name__)
# (the app's collaborators, city, days) -> (when, answer): one app's answers only.
_cache: dict[tuple[int, str, int], tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def _computed(city: str, days: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(cities()[city]["timezone"])).date()
    figures = city_figures(city, today - timedelta(days=days - 1), today, "month", None, now)
    return scorecard(figures, queries.city_agencies(collaborators().db, city), days)


@blueprint.get("/scorecard")
def public_scorecard() -> Response:
    query = validate(ScorecardQuery, dict(request.args.items()))
    city = query.city or collaborators().settings.default_city
    if city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
    key = (id(collaborators()), city, int(query.days))
    with _lock:
        kept = _cache.get(key)
    keep_s = collaborators().settings.scorecard_cache_s
    if kept is None or clock.monotonic() - kept[0] >= keep_s:
        kept = (clock.monotonic(), _computed(city, int(query.days)))
        with _lock:
            _cache[key] = kept
    response = jsonify(kept[1])
    response.cache_control.public = True
    response.cache_control.max_age = int(keep_s)
    return response
