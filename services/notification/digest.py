"""The leaders' daily digest: per agency, counts by stage, overdue reports and response times.

    python -m services.notification.digest --city padang          # send today's digest once
    python -m services.notification.digest --city all --dry-run    # print the figures only
    python -m services.notification.digest --loop                  # send every day at
                                                                   # ADUAN_DIGEST_HOUR, local time

Every leader of the city (a user with role "leader") gets one email with a row per agency of
the city; the head of an agency (role "agency_head", a leader scoped to it) gets its row. A
digest goes out once per (city, local day, leader): running the command again sends nothing
twice.

The figures are `aduan.domain.figures.agency_digest`'s (the same stages and overdue rule as
the statistics API, the staff lists and the SLA sweep): the agency's own stage (not yet
accepted; accepted or in progress; done), reports new in the last 24 hours, reports overdue
with the agency (`aduan.domain.lifecycle.is_overdue`: its follow-up deadline passed without a
response, or its resolution target without a resolution), and the response time (forwarded →
accepted by the agency) over the reports forwarded in the last 30 days. City-wide leaders also
get a first row "not yet forwarded" (`aduan.domain.figures.awaiting_forward`): the reports
waiting for the operators (in the "not yet accepted" column), new ones and those past their
forwarding deadline (in the "overdue" column).

It runs by itself: `--loop` in `make up` (tools/devstack.py) and docker-compose.yml; in
Kubernetes a CronJob per city at ADUAN_DIGEST_HOUR in the city's time zone
(deploy/k8s/digest.yaml) runs `--city <city>` once. Either way a second run on the same local
day sends nothing again.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pymongo.database import Database

from aduan.domain.figures import AgencyDigest, AwaitingForward, agency_digest, awaiting_forward
from aduan.infra import figures as queries
from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.logs import mask_email, setup_logging
from aduan.infra.shutdown import stop_on_signals
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
from services.notification.senders import EmailSender, SmtpSender

log = logging.getLogger(__name__)


def row(figures: AgencyDigest, language: str) -> list[str]:
    """One agency's row, in the columns of `templates.DIGEST_HEADER`."""
    name = figures.name_en if language == "en" else figures.name_id
    return [f"{name} ({figures.code})", str(figures.not_accepted), str(figures.in_work),
            str(figures.done), str(figures.new_24h), str(figures.overdue),
            _hours(figures.mean_response_h), _hours(figures.median_response_h)]


def not_forwarded_row(figures: AwaitingForward, language: str) -> list[str]:
    """The city's "not yet forwarded" row, in the same columns."""
    label = templates.DIGEST_NOT_FORWARDED["en" if language == "en" else "id"]
    return [label, str(figures.waiting), "-", "-", str(figures.new_24h), str(figures.overdue),
            "-", "-"]


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


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


class Digest:
    """Composes a city's digest and sends it to its leaders, once per local day."""

    def __init__(self, settings: Settings, db: Database, email: EmailSender) -> None:
        self.settings = settings
        self.db = db
        self.email = email
        self.deliveries = DeliveryLog(db, settings.delivery_lease_s)

    @classmethod
    def from_settings(cls, settings: Settings) -> Digest:
        return cls(settings, get_db(settings), SmtpSender(settings))

    def compose(self, city: str, now: datetime) -> list[AgencyDigest]:
        return [agency_digest(agency, queries.reports_given_to(self.db, city, agency["code"]),
                              now)
                for agency in queries.city_agencies(self.db, city)]

    def awaiting(self, city: str, now: datetime) -> AwaitingForward:
        return awaiting_forward(queries.reports_awaiting_forward(self.db, city), now)

    def send(self, city: str, now: datetime | None = None) -> DigestRun:
        moment = now or datetime.now(UTC)
        day = local_day(city, moment)
        run = DigestRun(city, day)
        leaders = contacts.leaders(self.db, city) + contacts.heads(self.db, city)
        if not leaders:
            return run
        figures = self.compose(city, moment)
        waiting = self.awaiting(city, moment)
        city_name = cities()[city]["name"]
        for leader in leaders:
            if not leader.email:
                continue
            rows = [row(f, leader.language) for f in figures
                    if leader.agency is None or f.code == leader.agency]
            if leader.agency is None:
                rows.insert(0, not_forwarded_row(waiting, leader.language))
            did = f"digest:{city}:{day}:email:" \
                  f"{recipient_key(self.settings.delivery_hash_secret, leader.email)}"
            claimed = self.deliveries.claim(did, {
                "report_id": None, "city": city, "event": "digest",
                "message_id": f"digest:{city}:{day}", "channel": "email", "audience": "leader",
                "recipient": mask_email(leader.email)})
            if claimed.outcome is not Claim.MINE or claimed.token is None:
                run.skipped += 1
                continue
            message = templates.render_digest(leader.language, city_name, day, rows)
            try:
                status = self.email.send(leader.email, message, did.replace(":", "."))
            except (DeliveryRejected, DeliveryFailed) as err:
                result = REJECTED if isinstance(err, DeliveryRejected) else FAILED
                self.deliveries.finish(did, claimed.token, result, None, str(err))
                run.failed += 1
                continue
            self.deliveries.finish(did, claimed.token, SENT, status)
            run.sent += 1
            log.info("digest %s %s sent to %s", city, day, mask_email(leader.email))
        return run


def due(city: str, now: datetime, hour: int, done: set[tuple[str, str]]) -> bool:
    """Whether the city's digest of today (its local day) is due at `now`: its hour has come
    and this process has not sent it yet."""
    zone = ZoneInfo(cities()[city].get("timezone", "Asia/Jakarta"))
    return now.astimezone(zone).hour >= hour and (city, local_day(city, now)) not in done


def run_due(digest: Digest, targets: list[str], now: datetime,
            done: set[tuple[str, str]]) -> None:
    """One pass of the loop: each city whose digest is due is sent; a city counts as done for
    its day once nothing failed (a failed delivery is tried again on the next pass)."""
    for city in targets:
        if not due(city, now, digest.settings.digest_hour, done):
            continue
        try:
            run = digest.send(city, now)
        except Exception:  # the next pass tries again; sent digests are not repeated
            log.exception("digest of %s failed", city)
            continue
        if not run.failed:
            done.add((city, run.day))


def _loop(digest: Digest, targets: list[str]) -> None:
    stop = stop_on_signals(threading.Event())
    done: set[tuple[str, str]] = set()
    while not stop.is_set():
        run_due(digest, targets, datetime.now(UTC), done)
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
    digest = Digest.from_settings(settings)
    if args.loop:
        _loop(digest, targets)
        return 0
    now = datetime.now(UTC)
    if args.dry_run:
        print(json.dumps({city: {"not_forwarded": asdict(digest.awaiting(city, now)),
                                 "agencies": [asdict(f) for f in digest.compose(city, now)]}
                          for city in targets}, indent=2))
        return 0
    failed = 0
    for city in targets:
        run = digest.send(city, now)
        print(json.dumps(asdict(run)))
        failed += run.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
