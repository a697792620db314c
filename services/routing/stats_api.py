"""Leaders' figures over HTTP: `GET /stats` (JSON) and `GET /stats.csv` for the caller's city
and a range of days (`from`, `to`: local dates, both included; the last 30 days by default).
The figures are `aduan.domain.figures`'; the counts by stage follow the city's own stage view
(`aduan.infra.stage_views`). A head of agency (`agency_head`) gets its own agency's figures
only: the reports ever given to it, its times, officers and ratings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from aduan.domain.figures import PERIODS, Statistician
from aduan.infra import figures as queries
from aduan.infra.catalogue import cities
from aduan.infra.stage_views import city_stage_view
from aduan.web.app import collaborators
from aduan.web.auth import AGENCY_HEAD, LEADER, OPERATOR, SYSADMIN
from aduan.web.errors import ApiError
from aduan.web.scope import agency_scope
from services.routing.access import signed_in
from services.routing.stats import TABLES

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3
blueprint = Blueprint("stats", __name__)


def _day(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as err:
        raise ApiError(422, "invalid_date", f"'{name}' must be a date (YYYY-MM-DD).",
                       {"field": name}) from err


def figures() -> dict:
    """The figures of the caller's city (a head of agency: its agency's) for the request's days
    and period."""
    principal = signed_in(LEADER, OPERATOR, SYSADMIN, AGENCY_HEAD)
    agency = agency_scope(principal)
    city = principal.city
    if city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
    zone = ZoneInfo(cities()[city]["timezone"])
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    first = _day("from", today - timedelta(days=DEFAULT_DAYS - 1))
    last = _day("to", today)
    if first > last or (last - first).days >= MAX_DAYS:
        raise ApiError(422, "invalid_range",
                       f"'from' must not be after 'to', and the range at most {MAX_DAYS} "
                       "days.")
    period = request.args.get("period", "day")
    if period not in PERIODS:
        raise ApiError(422, "invalid_period", "Unknown period.", {"periods": list(PERIODS)})
    return city_figures(city, first, last, period, agency, now)


def city_figures(city: str, first: date, last: date, period: str, agency: str | None,
                 now: datetime) -> dict:
    """The figures of the city's reports that came in from `first` to `last` (local days,
    both included); with `agency`, of that agency only. The statistics API's and the public
    scorecard's (services/routing/scorecard_api.py)."""
    zone = ZoneInfo(cities()[city]["timezone"])
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    routing = collaborators()
    statistician = Statistician(routing.deadlines, queries.categories_by_code(routing.db, city),
                                cities()[city]["timezone"], city_stage_view(city))
    result = statistician.compute(queries.reports_created(routing.db, city, start, end, agency),
                                  now, period, agency)
    return {"city": city, "from": first.isoformat(), "to": last.isoformat(),
            "period": period, "computed_at": now.isoformat(), **result}


@blueprint.get("/stats")
def stats():
    return jsonify(figures())


@blueprint.get("/stats.csv")
def stats_csv():
    table = request.args.get("table", "agencies")
    if table not in TABLES:
        raise ApiError(422, "invalid_table", "Unknown table.", {"tables": list(TABLES)})
    result = figures()
    text = TABLES[table](result)
    scope = f"-{result['agency']}" if result["agency"] else ""
    filename = f"aduan-{result['city']}{scope}-{table}-{result['from']}-{result['to']}.csv"
    return Response(text, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
