"""What the leaders' figures (`aduan.domain.figures`) read from the database: one place for
the queries of the statistics API and the digest, each with only the fields it needs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo.database import Database

from aduan.domain.lifecycle import AWAITING_FORWARD

# The statistics API reads the whole report but its photos, outbox and reporter.
STATS_EXCLUDED = {"photos": 0, "outbox": 0, "reporter": 0, "description": 0}
# The digest needs the stages, deadlines and acceptance times.
DIGEST_FIELDS = {"status": 1, "agencies": 1, "history.to": 1, "history.at": 1}


def reports_created(db: Database, city: str, start: datetime, end: datetime,
                    agency: str | None = None) -> Iterator[dict[str, Any]]:
    """The city's reports that came in from `start` (included) to `end` (excluded); with
    `agency`, those ever given to it."""
    query: dict[str, Any] = {"city": city, "created_at": {"$gte": start, "$lt": end}}
    if agency is not None:
        query["agencies.code"] = agency
    return db.reports.find(query, STATS_EXCLUDED)


def categories_by_code(db: Database, city: str) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in db.categories.find({"city": city})}


def city_agencies(db: Database, city: str) -> list[dict[str, Any]]:
    return list(db.agencies.find({"city": city}).sort("code", 1))


def reports_given_to(db: Database, city: str, agency: str) -> list[dict[str, Any]]:
    """Every report of the city ever forwarded to `agency`."""
    return list(db.reports.find({"city": city, "agencies.code": agency}, DIGEST_FIELDS))


# The digest's "not yet forwarded" row: what `lifecycle.late_deadlines` reads.
AWAITING_FIELDS = {"status": 1, "created_at": 1, "forward_due_at": 1, "agencies": 1}


def reports_awaiting_forward(db: Database, city: str) -> list[dict[str, Any]]:
    """The city's reports the operators still owe a forward."""
    return list(db.reports.find({"city": city, "status": {"$in": list(AWAITING_FORWARD)}},
                                AWAITING_FIELDS))


# The ratings gauges (aduan/infra/rating_metrics.py): what `figures.RatingTable` reads.
RATING_FIELDS = {"status": 1, "category": 1, "agencies.code": 1, "agencies.status": 1,
                 "rating.score": 1}


def reports_for_ratings(db: Database, city: str, since: datetime) -> Iterator[dict[str, Any]]:
    """The city's reports that came in since `since`, with what their ratings need."""
    return db.reports.find({"city": city, "created_at": {"$gte": since}}, RATING_FIELDS)
