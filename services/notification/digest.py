"""The leaders' daily digest: per agency, counts by stage, overdue reports and response times.

    python -m services.notification.digest --city padang          # send today's digest once
    python -m services.notification.digest --city all --dry-run    # print the figures only
    python -m services.notification.digest --loop                  # send every day at
                                                                   # ADUAN_DIGEST_HOUR, local time

Every city-wide leader (staff_contacts, role "leader", agency null) gets one email with a row
per agency of the city; a leader tied to an agency gets that agency's row. A digest goes out
once per (city, local day, leader): running the command again sends nothing twice.

The figures are deliberately simple (the routing service owns the SLA rules):
- stage of a report for an agency: the agency's assignment status when it has moved past
  "forwarded", else the report's status; not accepted = forwarded; accepted / in progress =
  accepted, in_progress, reopened; done = resolved, closed;
- overdue: not done, and the assignment's `due_at` has passed, or, without one, it was
  forwarded more than ADUAN_DIGEST_OVERDUE_AFTER_DAYS (calendar) days ago;
- response time: forwarded → accepted (assignment `accepted_at`, else the first "accepted"
  history entry), over reports forwarded in the last 30 days.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import statistics
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.database import Database

from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.logs import mask_email, setup_logging
from services.notification import contacts, templates
from services.notification.deliveries import (
    FAILED,
    REJECTED,
    SENT,
    Claim,
    DeliveryFailed,
    DeliveryLog,
    DeliveryRejected,
    recipient_key,
)
from services.notification.email import send_email

log = logging.getLogger(__name__)

STAGES = {"forwarded": "not_accepted", "accepted": "in_work", "in_progress": "in_work",
          "reopened": "in_work", "resolved": "done", "closed": "done"}
RESPONSE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class AgencyFigures:
    code: str
    name_id: str
    name_en: str
    not_accepted: int
    in_work: int
    done: int
    new_24h: int
    overdue: int
    mean_response_h: float | None
    median_response_h: float | None
    responses: int

    def row(self, language: str) -> list[str]:
        name = self.name_en if language == "en" else self.name_id
        return [f"{name} ({self.code})", str(self.not_accepted), str(self.in_work),
                str(self.done), str(self.new_24h), str(self.overdue),
                _hours(self.mean_response_h), _hours(self.median_response_h)]


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _accepted_at(report: dict[str, Any], assignment: dict[str, Any],
                 forwarded_at: datetime) -> datetime | None:
    if _aware(assignment.get("accepted_at")):
        return _aware(assignment["accepted_at"])
    for entry in report.get("history") or []:
        at = _aware(entry.get("at"))
        if entry.get("to") == "accepted" and at and at >= forwarded_at:
            return at
    return None


def figures_for(agency: dict[str, Any], reports: list[dict[str, Any]], now: datetime,
                overdue_after: timedelta) -> AgencyFigures:
    """The digest row of one agency from the reports it was given (pure: no database)."""
    counts = {"not_accepted": 0, "in_work": 0, "done": 0}
    new_24h = overdue = 0
    response_hours: list[float] = []
    for report in reports:
        assignment = next((a for a in report.get("agencies") or []
                           if a.get("code") == agency["code"]), None)
        if assignment is None:
            continue
        own = assignment.get("status")
        stage = STAGES.get(own) if own and own != "forwarded" else None
        stage = stage or STAGES.get(report.get("status", ""))
        if stage is None:
            continue
        counts[stage] += 1
        forwarded_at = _aware(assignment.get("forwarded_at"))
        if forwarded_at is None:
            continue
        if now - forwarded_at <= timedelta(hours=24):
            new_24h += 1
        due = _aware(assignment.get("due_at")) or forwarded_at + overdue_after
        if stage != "done" and due < now:
            overdue += 1
        accepted = _accepted_at(report, assignment, forwarded_at)
        if accepted and now - forwarded_at <= RESPONSE_WINDOW:
            response_hours.append((accepted - forwarded_at).total_seconds() / 3600)
    return AgencyFigures(
        code=agency["code"], name_id=agency.get("name_id", agency["code"]),
        name_en=agency.get("name_en") or agency.get("name_id", agency["code"]),
        **counts, new_24h=new_24h, overdue=overdue,
        mean_response_h=statistics.fmean(response_hours) if response_hours else None,
        median_response_h=statistics.median(response_hours) if response_hours else None,
        responses=len(response_hours),
    )


PROJECTION = {"status": 1, "agencies": 1, "history.to": 1, "history.at": 1}


def compose(db: Database, settings: Settings, city: str, now: datetime) -> list[AgencyFigures]:
    overdue_after = timedelta(days=settings.digest_overdue_after_days)
    return [
        figures_for(agency, list(db.reports.find({"city": city, "agencies.code": agency["code"]},
                                                 PROJECTION)), now, overdue_after)
        for agency in db.agencies.find({"city": city}).sort("code", 1)
    ]


def local_day(city: str, now: datetime) -> str:
    zone = ZoneInfo(cities()[city].get("timezone", "Asia/Jakarta"))
    return now.astimezone(zone).strftime("%Y-%m-%d")


@dataclass
class DigestRun:
    city: str
    day: str
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def send_digests(settings: Settings, db: Database, city: str, now: datetime | None = None
                 ) -> DigestRun:
    moment = now or datetime.now(UTC)
    day = local_day(city, moment)
    run = DigestRun(city, day)
    leaders = contacts.staff(db, city, "leader")
    if not leaders:
        return run
    figures = compose(db, settings, city, moment)
    city_name = cities()[city]["name"]
    deliveries = DeliveryLog(db, settings.delivery_lease_s)
    for leader in leaders:
        if not leader.email:
            continue
        rows = [f.row(leader.language) for f in figures
                if leader.agency is None or f.code == leader.agency]
        did = f"digest:{city}:{day}:email:" \
              f"{recipient_key(settings.delivery_hash_secret, leader.email)}"
        claimed = deliveries.claim(did, {"report_id": None, "city": city, "event": "digest",
                                         "message_id": f"digest:{city}:{day}", "channel": "email",
                                         "audience": "leader",
                                         "recipient": mask_email(leader.email)})
        if claimed.outcome is not Claim.MINE or claimed.token is None:
            run.skipped += 1
            continue
        message = templates.render_digest(leader.language, city_name, day, rows)
        try:
            status = send_email(settings, leader.email, message, did.replace(":", "."))
        except DeliveryRejected as err:
            deliveries.finish(did, claimed.token, REJECTED, None, str(err))
            run.failed += 1
            continue
        except DeliveryFailed as err:
            deliveries.finish(did, claimed.token, FAILED, None, str(err))
            run.failed += 1
            continue
        deliveries.finish(did, claimed.token, SENT, status)
        run.sent += 1
        log.info("digest %s %s sent to %s", city, day, mask_email(leader.email))
    return run


def _loop(settings: Settings, db: Database, targets: list[str]) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        now = datetime.now(UTC)
        for city in targets:
            zone = ZoneInfo(cities()[city].get("timezone", "Asia/Jakarta"))
            if now.astimezone(zone).hour >= settings.digest_hour:
                try:
                    send_digests(settings, db, city, now)
                except Exception:  # the next pass tries again; sent digests are not repeated
                    log.exception("digest of %s failed", city)
        stop.wait(60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send the leaders' daily digest.")
    parser.add_argument("--city", default="all", help="a city code, or 'all'")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, send nothing")
    parser.add_argument("--loop", action="store_true",
                        help="keep running; send each city's digest daily at ADUAN_DIGEST_HOUR")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    setup_logging("notification-digest", settings.log_level, redact=True)
    if args.city != "all" and args.city not in cities():
        parser.error(f"unknown city {args.city!r}; known: {', '.join(sorted(cities()))}")
    targets = sorted(cities()) if args.city == "all" else [args.city]
    db = get_db(settings)
    if args.loop:
        _loop(settings, db, targets)
        return 0
    now = datetime.now(UTC)
    if args.dry_run:
        print(json.dumps({city: [asdict(f) for f in compose(db, settings, city, now)]
                          for city in targets}, indent=2))
        return 0
    failed = 0
    for city in targets:
        run = send_digests(settings, db, city, now)
        print(json.dumps(asdict(run)))
        failed += run.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
