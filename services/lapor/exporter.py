"""Exports what happens to reports linked to SP4N-LAPOR! back to LAPOR! as follow-ups, and
creates at LAPOR! the reports an operator refers to it (consumer "lapor", every `report.*`).

    python -m services.lapor.exporter               # the lapor-worker process
    python -m services.lapor.exporter --catch-up    # once: every report with follow-ups waiting

Linked: a report imported from LAPOR! (channel sp4n_lapor with an external id) or referred to
the vertical body SP4N-LAPOR (services/lapor/topics.py `LAPOR_BODY`: a matter outside the
city's authority). On any event of such a report the exporter reads it and sends what LAPOR!
has not had yet, in order, each once:
- its history entries after `last_exported_seq` that the public may know of (status changes
  past the photo checks; a step with a public response), with the public response or the
  status's name as the text: never the internal note;
- the comments of staff after `last_exported_comment` (every comment is public);
merged by time. Each follow-up carries `ref` = `aduan:<report id>:<h|c><index>`.

Exactly once and in order: one exporter at a time per report (the lease in services/lapor/
sync.py), each follow-up marked `inflight` before its POST and the cursor moved past it in
the write recording it. When the outcome of a POST is unknown (a crash, a timeout, a 5xx),
the next attempt asks LAPOR! for the report's follow-ups and records the `ref` it finds
instead of sending it again. A failure raises: the Consumer retries with growing delays and
parks the message after ADUAN_MAX_ATTEMPTS (LAPOR! refusing a follow-up parks it at once);
any later event of the report, `--catch-up`, or an operator's replay sends what waits (the
catch-up backs off a report that keeps failing and leaves one LAPOR! refused to the replay).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from pymongo.database import Database

from aduan.domain.status_names import status_name
from aduan.infra import metrics
from aduan.infra.catalogue import category_of
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.logs import setup_logging
from aduan.infra.messaging import Delivery, run_consumer_process
from aduan.infra.reports import Reports
from aduan.web.errors import PermanentError
from services.lapor.adapter import (
    FollowUp,
    LaporClient,
    LaporError,
    LaporRejected,
    OutgoingReport,
    city_tokens,
    enabled,
)
from services.lapor.binding import bind_events
from services.lapor.sync import SyncStore
from services.lapor.topics import LAPOR_BODY, topic_for

log = logging.getLogger(__name__)

# Statuses a follow-up tells LAPOR! of; before them the report is only in the photo checks.
EXPORTED_STATUSES = frozenset({
    "verified", "rejected", "postponed", "forwarded", "referred", "accepted", "in_progress",
    "resolved", "closed", "reopened", "archived", "duplicate"})
LEASE_POLL_S = 0.2
MAX_BACK_OFF_S = 6 * 3600.0  # the longest a report failing in the catch-up waits for its next try


class LeaseBusy(Exception):
    """Another exporter kept the report's lease for longer than a lease lasts."""


class LeaseLost(Exception):
    """This exporter's lease ran out while it worked (a very slow LAPOR!): another took over."""


@dataclass(frozen=True)
class Item:
    """One follow-up waiting to be sent."""

    stream: str  # history | comment
    seq: int
    ref: str
    status: str  # an Aduan status, or "comment"
    kind: str  # status | response | comment (the exported metric's label)
    content: str
    at: datetime


def _aware(moment: Any) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def status_text(entry: dict[str, Any], report_type: str | None) -> str:
    text = f"Status laporan di Aduan: {status_name('id', entry['to'], report_type)}"
    if entry.get("agencies") and entry["to"] in ("forwarded", "referred"):
        text += f" ({', '.join(entry['agencies'])})"
    return text


def pending_items(report: dict[str, Any], sync: dict[str, Any]) -> list[Item]:
    """What LAPOR! has not had yet: each stream in its own order (the cursors are indexes, and
    two writers' clocks may disagree), the two merged by time (history first on a tie)."""
    history_items, comment_items = _history_items(report, sync), _comment_items(report, sync)
    merged: list[Item] = []
    while history_items and comment_items:
        if comment_items[0].at < history_items[0].at:
            merged.append(comment_items.pop(0))
        else:
            merged.append(history_items.pop(0))
    return merged + history_items + comment_items


def _history_items(report: dict[str, Any], sync: dict[str, Any]) -> list[Item]:
    items = []
    history = report.get("history") or []
    for seq in range(int(sync.get("last_exported_seq", 0)) + 1, len(history)):
        entry = history[seq]
        response = (entry.get("public_response") or "").strip()
        if entry.get("to") not in EXPORTED_STATUSES and not response:
            continue
        items.append(Item("history", seq, f"aduan:{report['_id']}:h{seq}", entry.get("to", ""),
                          "response" if response else "status",
                          response or status_text(entry, report.get("type")),
                          _aware(entry.get("at"))))
    return items


def _comment_items(report: dict[str, Any], sync: dict[str, Any]) -> list[Item]:
    items = []
    comments = report.get("comments") or []
    for seq in range(int(sync.get("last_exported_comment", -1)) + 1, len(comments)):
        comment = comments[seq]
        if comment.get("by") == "reporter" or not (comment.get("text") or "").strip():
            continue
        items.append(Item("comment", seq, f"aduan:{report['_id']}:c{seq}", "comment",
                          "comment", comment["text"].strip(), _aware(comment.get("at"))))
    return items


def referred_to_lapor(report: dict[str, Any]) -> bool:
    return (report.get("referral") or {}).get("code") == LAPOR_BODY \
        and report.get("status") == "referred"


def referral_index(report: dict[str, Any]) -> int:
    """The history entry that referred the report to LAPOR! (the last referral)."""
    history = report.get("history") or []
    for index in range(len(history) - 1, -1, -1):
        if history[index].get("to") == "referred":
            return index
    return len(history) - 1


def outgoing(report: dict[str, Any], topic_id: str | None, category_name: str | None = None
             ) -> OutgoingReport:
    """The report as LAPOR! gets it: what a vertical body's desk may read, never the reporter
    (not even a public report's: LAPOR! hears from its own users)."""
    place = report.get("location") or {}
    return OutgoingReport(
        ref=report["_id"],
        title=f"Aduan {report['code']}: {category_name or report.get('category', '')}",
        content=report.get("description") or "", type=report.get("type") or "complaint",
        privacy=report.get("privacy") or "public", topic_id=topic_id,
        lat=place.get("lat"), lon=place.get("lon"), address=place.get("address"),
        created_at=_aware(report.get("created_at")))


class Exporter:
    def __init__(self, settings: Settings, db: Database,
                 session: requests.Session | None = None) -> None:
        self.settings = settings
        self.db = db
        self.reports = Reports(db, None)
        self.sync = SyncStore(db)
        self._session = session  # one given (tests) is shared; else one per thread
        self._owners = threading.local()
        # Renewed before each follow-up, which takes at most two calls (the check of an
        # unknown send, the POST): a lease shorter than that could run out mid-send and let
        # another exporter send the same follow-up.
        self.lease_s = max(settings.lapor_lease_s, 2 * settings.lapor_timeout_s + 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> Exporter:
        return cls(settings, get_db(settings))

    @property
    def session(self) -> requests.Session:
        """requests.Session is not thread-safe: each handler thread keeps its own."""
        if self._session is not None:
            return self._session
        session = getattr(self._owners, "session", None)
        if session is None:
            session = self._owners.session = requests.Session()
        return session

    @property
    def owner(self) -> str:
        """Who holds a report's lease: one per thread, since a process handles several events
        at once (ADUAN_CONSUMER_CONCURRENCY) and a lease lets its owner in again."""
        owner = getattr(self._owners, "id", None)
        if owner is None:
            owner = self._owners.id = uuid.uuid4().hex
        return owner

    # ---- the consumer --------------------------------------------------------------------

    def handle(self, delivery: Delivery) -> None:
        report_id = delivery.body.get("report_id")
        city = delivery.body.get("city")
        if not enabled(self.settings) or not report_id or city not in city_tokens(self.settings):
            return  # the connector is off for this city: nothing is linked to LAPOR!
        if self.sync.get(report_id) is None and not self._link(report_id):
            return
        self.export(report_id)

    def _link(self, report_id: str) -> bool:
        """Makes the sync document of a linked report the importer has not recorded yet (it
        may have crashed after filing) or of one just referred to LAPOR!; False: not linked."""
        report = self.reports.get(report_id)
        if report is None:
            return False
        now = datetime.now(UTC)
        external = report.get("external") or {}
        if external.get("system") == "sp4n_lapor" and external.get("id"):
            self.sync.link(report_id, report["code"], report["city"], external["id"],
                           "imported", now)
            return True
        if referred_to_lapor(report):
            self.sync.link(report_id, report["code"], report["city"], None, "forwarded", now,
                           last_exported_seq=referral_index(report),
                           last_exported_comment=len(report.get("comments") or []) - 1)
            return True
        return False

    # ---- one report ----------------------------------------------------------------------

    def export(self, report_id: str) -> None:
        self._acquire(report_id)
        try:
            self._export(report_id)
        finally:
            self.sync.release(report_id, self.owner)

    def _acquire(self, report_id: str) -> None:
        """Waits while another exporter holds the report (it sends what this event would) or
        until its lease runs out (it died)."""
        deadline = time.monotonic() + self.lease_s + 1
        while not self.sync.acquire(report_id, self.owner, datetime.now(UTC),
                                    self.lease_s):
            if time.monotonic() > deadline:
                # The holder may have read the report before this event's change: flagged,
                # the next pass (a retry, another event, the catch-up) looks again.
                self.sync.flag_recheck(report_id)
                raise LeaseBusy(report_id)
            time.sleep(LEASE_POLL_S)

    def _renew(self, report_id: str) -> None:
        if not self.sync.renew(report_id, self.owner, datetime.now(UTC),
                               self.lease_s):
            raise LeaseLost(report_id)

    def _export(self, report_id: str) -> None:
        self.sync.clear_recheck(report_id, self.owner)
        sync = self.sync.get(report_id)
        report = self.reports.get(report_id)
        if sync is None or report is None:
            return
        city = sync["city"]
        if not sync.get("tracking_id") and not referred_to_lapor(report):
            # Taken back (re-routed) before it was created at LAPOR!: never linked after all.
            self.sync.unlink_uncreated(report_id, self.owner)
            return
        client = LaporClient(self.settings, city, self.session)
        try:
            tracking_id = sync.get("tracking_id") or self._forward(client, report, sync)
            items = pending_items(report, sync)
            self.sync.set_pending(report_id, len(items), datetime.now(UTC))
            known: set[str] | None = None
            inflight = (sync.get("inflight") or {}).get("ref")
            after = int(sync.get("last_exported_seq", 0))
            for left, item in enumerate(items, start=1):
                self._renew(report_id)
                after = item.seq if item.stream == "history" else after
                if item.ref == inflight or known is not None:
                    # The last POST's outcome is unknown: LAPOR! says whether it arrived.
                    if known is None:
                        known = {str(f.get("ref")) for f in client.followups(tracking_id)}
                    if item.ref in known:
                        self._record(report_id, city, item, after, len(items) - left)
                        continue
                if not self.sync.start_send(report_id, self.owner, item.ref,
                                            datetime.now(UTC)):
                    raise LeaseLost(report_id)
                client.post_followup(tracking_id, FollowUp(item.ref, item.status, item.content,
                                                           item.at))
                self._record(report_id, city, item, after, len(items) - left)
        except LaporError as err:
            metrics.lapor_failures.labels(city, "export", err.reason).inc()
            rejected = isinstance(err, LaporRejected)
            self.sync.record_error(report_id, err.reason, datetime.now(UTC), blocked=rejected)
            log.warning("LAPOR! export of %s failed: %s", sync.get("code"), err)
            if rejected:  # parked at once; the catch-up leaves it to an operator's replay
                raise PermanentError(str(err)) from err
            raise
        self.sync.settled(report_id, self.owner, datetime.now(UTC))

    def _record(self, report_id: str, city: str, item: Item, after: int, pending: int
                ) -> None:
        """`after`: the history entry the follow-up comes after, its `seq` (a comment's own
        place is `index`), so the exported list sorts by `seq` in the order sent."""
        now = datetime.now(UTC)
        entry = {"seq": after, "stream": item.stream, "index": item.seq, "ref": item.ref,
                 "status": item.status, "kind": item.kind, "at": now}
        if not self.sync.record_sent(report_id, self.owner, item.stream, item.seq, entry,
                                     pending, now):
            raise LeaseLost(report_id)
        metrics.lapor_exported.labels(city, item.kind).inc()
        metrics.lapor_export_lag.labels(city).observe(max(0.0, (now - item.at).total_seconds()))

    def _forward(self, client: LaporClient, report: dict[str, Any], sync: dict[str, Any]
                 ) -> str:
        """Creates a report referred to LAPOR! there (once: a report created by an attempt
        whose answer was lost is found by its ref)."""
        tracking_id = client.find_by_ref(report["_id"])
        if tracking_id is None:
            category = category_of(self.db, report) or {}
            topic = topic_for(self.db, report["city"], report.get("category"))
            tracking_id = client.create_report(outgoing(report, topic, category.get("name_id")))
            metrics.lapor_exported.labels(sync["city"], "report").inc()
        self.sync.set_tracking(report["_id"], self.owner, tracking_id, datetime.now(UTC))
        log.info("report %s forwarded to LAPOR! as %s", report["code"], tracking_id)
        return tracking_id

    # ---- catching up ---------------------------------------------------------------------

    def catch_up(self, now: datetime | None = None) -> int:
        """Sends what waits on every linked report (after an outage that outlasted the retries
        and parked the events); the number of reports that failed again. A report that fails
        here waits longer each time (from one poll interval, at most MAX_BACK_OFF_S); one
        LAPOR! refused waits for an operator (sync.py `blocked`)."""
        failed = 0
        for doc in self.sync.with_pending(now or datetime.now(UTC)):
            if doc.get("city") not in city_tokens(self.settings):
                continue
            try:
                self.export(doc["_id"])
            except Exception as err:  # each report on its own; a later run tries again
                failed += 1
                log.warning("catch-up of %s failed: %s", doc.get("code"), err)
                if not isinstance(err, PermanentError):
                    self.sync.defer(doc["_id"], now or datetime.now(UTC),
                                    self.settings.lapor_poll_interval_s, MAX_BACK_OFF_S)
        return failed


def _exporter(settings: Settings):
    bind_events(settings)  # before consuming: with LAPOR! off, no event reaches the queue
    return Exporter.from_settings(settings).handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export follow-ups to SP4N-LAPOR!.")
    parser.add_argument("--catch-up", action="store_true",
                        help="once: send what waits on every linked report, then exit")
    args = parser.parse_args(argv)
    if args.catch_up:
        settings = Settings.from_env()
        setup_logging("lapor-catch-up", settings.log_level, redact=True)
        return 1 if Exporter.from_settings(settings).catch_up() else 0
    run_consumer_process("lapor", _exporter, redact_logs=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
