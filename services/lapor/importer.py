"""Imports the reports SP4N-LAPOR! disposes to each city as Aduan reports.

    python -m services.lapor.importer --once             # every connected city, one pass
    python -m services.lapor.importer --once --city padang
    python -m services.lapor.importer --loop             # a pass every ADUAN_LAPOR_POLL_INTERVAL_S,
                                                         # then the follow-ups still waiting

A pass pages through the reports changed since the city's cursor (`lapor_cursors`; each page
asked from the last update time the page before ended with, so a report changed while the
pass runs is never skipped) and files each one not imported yet with intake, as the connector
of channel `sp4n_lapor` (aduan.infra.intake_client): the Tracking ID as its external id and,
in the Idempotency-Key `lapor:<city>:<tracking>`, the key intake derives the report's id from.
So a report fetched twice (on two pages, in two passes, by two importers at once) is one
report: the importer skips a Tracking ID it has linked already (`lapor_sync`), and intake
answers a repeat with the first receipt (or `idempotency_key_reused` when LAPOR! changed the
report since: still the one report). The cursor moves only after a pass that went through
every page. A report intake refuses (its fallback category tried where the mapped one does not
take its type) is counted as a failure, kept in the city's `lapor_cursors.refused` for the
operators and passed over: it comes again when LAPOR! changes it.

What a report becomes: type from LAPOR!'s classification (complaint when unknown); privacy
as LAPOR! says (anonymous, confidential; an unknown level is confidential) and a
confidential report carries no reporter at all; the reporter's name only otherwise (LAPOR!'s
user hears back through LAPOR!'s follow-ups, so Aduan sends them no messages of its own); the
category from the city's topic mapping (services/lapor/topics.py), else its fallback; the
images among the attachments (at most MAX_PHOTOS, each at most ADUAN_MAX_PHOTO_BYTES, judged
from their bytes) as photos, the other attachments named in the description, and so are those
that could not be fetched (refused by the address rule, an error status, no answer in time: a
failure of one attachment never stops the pass). No camera checks happen here: verification
treats photos of this channel as without camera proof.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from pymongo.database import Database

from aduan.contracts.base import replace_control_characters
from aduan.infra import metrics
from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.intake_client import Attachment, IntakeRefused, IntakeUnavailable, file_report
from aduan.infra.logs import setup_logging
from aduan.infra.shutdown import stop_on_signals
from aduan.infra.tokens import idempotent_report_id
from aduan.web.image_types import EXTENSIONS, sniff_image_type
from services.lapor import topics
from services.lapor.adapter import (
    AttachmentFailed,
    LaporClient,
    LaporError,
    LaporReport,
    LaporUnavailable,
    connected_cities,
)
from services.lapor.exporter import Exporter
from services.lapor.sync import SyncStore

log = logging.getLogger(__name__)

CHANNEL = "sp4n_lapor"
MAX_PHOTOS = 5  # intake's limit per report (services/intake/uploads.py)
MAX_PAGES = 1000  # a LAPOR! that always says "more" must not keep a pass running forever
RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER_S = 60.0
DESCRIPTION_MAX = 2000
DESCRIPTION_MIN = 10
ADDRESS_MAX = 300
NO_PLACE = "Lokasi tidak disebutkan di SP4N-LAPOR!"
# Intake's refusals that the city's fallback category may cure (the mapped category does not
# take the report's type, or is gone).
CATEGORY_REFUSALS = ("type_not_accepted", "unknown_category")


def clean(text: str) -> str:
    """What intake would refuse in any text becomes a space: LAPOR!'s texts come from other
    people's forms, and one odd character must not lose the whole report."""
    return replace_control_characters(text).strip()


def idempotency_key(city: str, tracking_id: str) -> str:
    return f"lapor:{city}:{tracking_id}"


def description(item: LaporReport, left_out: list[str]) -> str:
    """LAPOR!'s title and text, and the attachments that are not photos here (by name)."""
    parts = [clean(p) for p in (item.title, item.content) if clean(p)]
    if left_out:
        parts.append("Lampiran di SP4N-LAPOR! (tidak disalin): " + ", ".join(left_out))
    text = "\n\n".join(parts) or f"Laporan SP4N-LAPOR! {item.tracking_id}"
    if len(text) < DESCRIPTION_MIN:
        text = f"{text} (SP4N-LAPOR! {item.tracking_id})"
    return text[:DESCRIPTION_MAX]


def location(item: LaporReport) -> dict[str, Any]:
    """The point and address LAPOR! gives; without either, an address saying so (never a
    made-up point: operators complete it)."""
    place: dict[str, Any] = {}
    if item.lat is not None and item.lon is not None \
            and -90 <= item.lat <= 90 and -180 <= item.lon <= 180:
        place.update(lat=item.lat, lon=item.lon)
    if item.address and clean(item.address):
        place["address"] = clean(item.address)[:ADDRESS_MAX]
    return place or {"address": NO_PLACE}


def report_fields(item: LaporReport, city: str, category: str,
                  left_out: list[str]) -> dict[str, Any]:
    """The submission intake gets (ReportIn's fields) for one LAPOR! report."""
    fields: dict[str, Any] = {
        "city": city, "category": category, "type": item.type or "complaint",
        "description": description(item, left_out), "location": location(item),
        "privacy": item.privacy, "external_id": item.tracking_id,
    }
    # A confidential report carries no reporter whatever LAPOR! sent.
    name = clean(item.reporter_name or "")[:100]
    if item.privacy != "confidential" and name:
        fields["reporter"] = {"name": name, "language": "id"}
    return fields


@dataclass
class ImportRun:
    city: str
    fetched: int = 0
    imported: int = 0
    known: int = 0
    refused: int = 0
    unreadable: int = 0  # entries without a Tracking ID: nothing to file them by
    pages: int = 0
    error: str | None = None


class Importer:
    def __init__(self, settings: Settings, db: Database,
                 session: requests.Session | None = None) -> None:
        self.settings = settings
        self.db = db
        self.sync = SyncStore(db)
        self.session = session or requests.Session()

    @classmethod
    def from_settings(cls, settings: Settings) -> Importer:
        return cls(settings, get_db(settings))

    def run(self, targets: list[str] | None = None) -> list[ImportRun]:
        return [self.run_city(city) for city in targets or connected_cities(self.settings)]

    def run_city(self, city: str) -> ImportRun:
        run = ImportRun(city)
        started = datetime.now(UTC)
        since = self.sync.cursor(city)
        newest = since
        try:
            client = LaporClient(self.settings, city, self.session)
            page, window = 1, since
            while run.pages < MAX_PAGES:
                result = self._page(client, page, window)
                run.pages += 1
                run.fetched += len(result.items)
                run.unreadable += result.unreadable
                for item in result.items:
                    self.import_one(client, city, item, run)
                latest = max((i.updated_at for i in result.items if i.updated_at), default=None)
                if latest is not None and (newest is None or latest > newest):
                    newest = latest
                if result.last_page:
                    break
                # The next page starts where this one ended (LAPOR! lists by update time): a
                # report changed meanwhile moves to the end instead of shifting one the pass
                # would then skip. Only when a whole page shares one time, count pages on.
                if latest is not None and (window is None or latest > window):
                    page, window = 1, latest
                else:
                    page += 1
        except (LaporError, IntakeUnavailable) as err:
            reason = err.reason if isinstance(err, LaporError) else "intake_unavailable"
            run.error = reason
            metrics.lapor_failures.labels(city, "import", reason).inc()
            log.warning("LAPOR! import of %s stopped: %s", city, err)
        self.sync.save_run(city, newest, asdict(run), run.error is None, started)
        log.info("LAPOR! import of %s: %s", city, asdict(run))
        return run

    def _page(self, client: LaporClient, page: int, since: datetime | None):
        """A page, waiting as LAPOR! asks when it answers 429 (a few times, briefly)."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return client.reports_page(page, since)
            except LaporUnavailable as err:
                wait = err.retry_after
                if err.reason != "rate_limited" or attempt == RATE_LIMIT_RETRIES \
                        or wait is None or wait > MAX_RETRY_AFTER_S:
                    raise
                metrics.lapor_failures.labels(client.city, "import", "rate_limited").inc()
                time.sleep(wait)
        raise AssertionError("unreachable")

    def import_one(self, client: LaporClient, city: str, item: LaporReport,
                   run: ImportRun) -> None:
        if self.sync.find(city, item.tracking_id) is not None:
            run.known += 1
            return
        photos, left_out = self._attachments(client, item)
        category = topics.category_for(self.db, city, item.topic_id, item.topic_parent_id) \
            or topics.fallback_category(self.db, city)
        fields = report_fields(item, city, category, left_out)
        try:
            receipt = self._file(city, item, fields, photos)
        except IntakeRefused as err:
            fallback = topics.fallback_category(self.db, city)
            if err.code in CATEGORY_REFUSALS and category != fallback:
                try:
                    receipt = self._file(city, item, {**fields, "category": fallback}, photos)
                except IntakeRefused as again:
                    self._refused(city, item, again, run)
                    return
            elif err.code == "idempotency_key_reused":
                receipt = self._already_filed(city, item)
                if receipt is None:
                    self._refused(city, item, err, run)
                    return
            else:
                self._refused(city, item, err, run)
                return
        self.sync.link(receipt["id"], receipt["code"], city, item.tracking_id, "imported",
                       datetime.now(UTC))
        if not self.sync.claim_import(receipt["id"]):
            run.known += 1  # another importer filed it at the same time
            return
        run.imported += 1
        metrics.lapor_imported.labels(city).inc()

    def _file(self, city: str, item: LaporReport, fields: dict[str, Any],
              photos: list[Attachment]) -> dict[str, Any]:
        return file_report(self.session, self.settings.intake_url, self.settings.lapor_timeout_s,
                           CHANNEL, fields, photos,
                           idempotency_key=idempotency_key(city, item.tracking_id))

    def _already_filed(self, city: str, item: LaporReport) -> dict[str, Any] | None:
        """The report filed from this LAPOR! report in an earlier pass (LAPOR! changed it since,
        so intake would not answer with the first receipt)."""
        report_id = idempotent_report_id(self.settings.token_secret,
                                         idempotency_key(city, item.tracking_id))
        found = self.db.reports.find_one({"_id": report_id}, {"_id": 1, "code": 1})
        return {"id": found["_id"], "code": found["code"]} if found else None

    def _refused(self, city: str, item: LaporReport, err: IntakeRefused, run: ImportRun
                 ) -> None:
        reason = f"intake_refused:{err.code or err.status}"
        run.refused += 1
        metrics.lapor_failures.labels(city, "import", "intake_refused").inc()
        self.sync.record_refused(city, item.tracking_id, reason, datetime.now(UTC))
        log.warning("LAPOR! report %s of %s not imported: %s", item.tracking_id, city, err)

    def _attachments(self, client: LaporClient, item: LaporReport
                     ) -> tuple[list[Attachment], list[str]]:
        photos: list[Attachment] = []
        left_out: list[str] = []
        for attachment in item.attachments:
            if len(photos) >= MAX_PHOTOS:
                left_out.append(attachment.name)
                continue
            try:
                data = client.attachment(attachment.url, self.settings.max_photo_bytes)
            except AttachmentFailed as failed:
                # Gone, refused, down or slow, on whatever host: named, not copied. The pass
                # goes on (one dead link must not hold up the city's import every pass).
                metrics.lapor_failures.labels(client.city, "import", "attachment").inc()
                log.info("attachment of %s not fetched: %s", item.tracking_id, failed.reason)
                left_out.append(attachment.name)
                continue
            kind = sniff_image_type(data) if data is not None else None
            if kind is None or data is None:
                left_out.append(attachment.name)
                continue
            photos.append(Attachment(f"lapor-{len(photos) + 1}.{EXTENSIONS[kind]}", data, kind))
        return photos, left_out


def _loop(importer: Importer, targets: list[str] | None) -> None:
    """A pass every poll interval; each pass also sends the follow-ups still waiting (an
    outage at LAPOR! longer than the consumer's retries parks their events)."""
    stop = stop_on_signals(threading.Event())
    exporter = Exporter(importer.settings, importer.db, importer.session)
    while not stop.is_set():
        try:
            importer.run(targets)
            exporter.catch_up()
        except Exception:  # the next pass tries again
            log.exception("LAPOR! import pass failed")
        stop.wait(importer.settings.lapor_poll_interval_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import reports from SP4N-LAPOR!.")
    parser.add_argument("--city", default="all", help="a city code, or 'all' (connected ones)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="one pass, then exit")
    mode.add_argument("--loop", action="store_true",
                      help="a pass every ADUAN_LAPOR_POLL_INTERVAL_S")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    setup_logging("lapor-import", settings.log_level, redact=True)
    if args.city != "all" and args.city not in cities():
        parser.error(f"unknown city {args.city!r}; known: {', '.join(sorted(cities()))}")
    targets = None if args.city == "all" else [args.city]
    importer = Importer.from_settings(settings)
    if args.loop:
        # Its own container under compose and Kubernetes: the import counters are scraped here.
        metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
        _loop(importer, targets)
        return 0
    runs = importer.run(targets)
    for run in runs:
        print(json.dumps(asdict(run)))
    return 1 if any(run.error for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
