"""The connector's records: `lapor_sync`, one document per report linked to SP4N-LAPOR!, and
`lapor_cursors`, one per city the importer pages through.

lapor_sync: {_id: report_id, code, city, tracking_id (null while a forwarded report is not yet
created at LAPOR!), direction: "imported" | "forwarded", imported_at, last_exported_seq (the
index in report.history of the last entry dealt with), last_exported_comment (the same in
report.comments), exported: [{seq (the history entry it follows), stream, index (its place in
its stream), ref, status, kind, at}], pending (follow-ups waiting), last_error: {at, reason} |
null, blocked: {at, reason} | null (LAPOR! refused a call for this report: sending it again
won't help, so the catch-up leaves it alone until an event of the report, or an operator's
replay of the parked one, tries again), retries and retry_at (the catch-up's back-off after
its own failed attempts), inflight: {ref, at} | null (a follow-up whose POST was started: its
outcome is unknown until recorded), lease: {owner, until} | null, recheck (an event came while
another exporter held the lease for too long), import_counted, created_at, updated_at}. The
lapor service's sync view (services/lapor/sync_api.py) reads it.

The lease makes one exporter at a time work on a report, so follow-ups never interleave: it is
taken with a conditional update, renewed before each send, and a dead holder's lease simply
runs out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

SYNC = "lapor_sync"
CURSORS = "lapor_cursors"
# What a send that went through clears: the last error, a block, the catch-up's back-off.
_CLEAR = {"last_error": None, "blocked": None, "retries": 0, "retry_at": None}


class SyncStore:
    def __init__(self, db: Database) -> None:
        self.docs = db[SYNC]
        self.cursors = db[CURSORS]

    # ---- links -------------------------------------------------------------------------

    def get(self, report_id: str) -> dict[str, Any] | None:
        return self.docs.find_one({"_id": report_id})

    def find(self, city: str, tracking_id: str) -> dict[str, Any] | None:
        return self.docs.find_one({"city": city, "tracking_id": tracking_id,
                                   "direction": "imported"})

    def link(self, report_id: str, code: str, city: str, tracking_id: str | None,
             direction: str, now: datetime, last_exported_seq: int = 0,
             last_exported_comment: int = -1) -> bool:
        """Makes the report's document if missing (the importer and the exporter may both
        make it: whoever comes first); whether this call made it."""
        doc = {"_id": report_id, "code": code, "city": city, "tracking_id": tracking_id,
               "direction": direction, "imported_at": now if direction == "imported" else None,
               "last_exported_seq": last_exported_seq,
               "last_exported_comment": last_exported_comment, "exported": [], "pending": 0,
               "last_error": None, "inflight": None, "lease": None, "created_at": now,
               "updated_at": now}
        try:
            self.docs.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def claim_import(self, report_id: str) -> bool:
        """True once per linked report: for the one importer that counts it as imported
        (the exporter, or a second importer, may have made the document first)."""
        return self.docs.update_one({"_id": report_id, "import_counted": {"$ne": True}},
                                    {"$set": {"import_counted": True}}).modified_count == 1

    def set_tracking(self, report_id: str, owner: str, tracking_id: str, now: datetime
                     ) -> None:
        self.docs.update_one({"_id": report_id, "lease.owner": owner},
                             {"$set": {"tracking_id": tracking_id, "updated_at": now}})

    def unlink_uncreated(self, report_id: str, owner: str) -> None:
        self.docs.delete_one({"_id": report_id, "tracking_id": None, "lease.owner": owner})

    # ---- the lease ---------------------------------------------------------------------

    def acquire(self, report_id: str, owner: str, now: datetime, lease_s: float) -> bool:
        free = {"$or": [{"lease": None}, {"lease.until": {"$lt": now}},
                        {"lease.owner": owner}]}
        result = self.docs.update_one(
            {"_id": report_id, **free},
            {"$set": {"lease": {"owner": owner, "until": now + timedelta(seconds=lease_s)}}})
        return result.matched_count == 1

    def renew(self, report_id: str, owner: str, now: datetime, lease_s: float) -> bool:
        result = self.docs.update_one(
            {"_id": report_id, "lease.owner": owner},
            {"$set": {"lease.until": now + timedelta(seconds=lease_s)}})
        return result.matched_count == 1

    def release(self, report_id: str, owner: str) -> None:
        self.docs.update_one({"_id": report_id, "lease.owner": owner},
                             {"$set": {"lease": None}})

    # ---- what was sent -----------------------------------------------------------------

    def start_send(self, report_id: str, owner: str, ref: str, now: datetime) -> bool:
        """Marks `ref` as being sent: if this process dies before `record_sent`, the next one
        asks LAPOR! whether it arrived instead of sending it again."""
        result = self.docs.update_one({"_id": report_id, "lease.owner": owner},
                                      {"$set": {"inflight": {"ref": ref, "at": now}}})
        return result.matched_count == 1

    def record_sent(self, report_id: str, owner: str, stream: str, seq: int,
                    entry: dict[str, Any], pending: int, now: datetime) -> bool:
        """One follow-up is at LAPOR!: the stream's cursor moves past it, in the same write."""
        cursor = "last_exported_seq" if stream == "history" else "last_exported_comment"
        result = self.docs.update_one(
            {"_id": report_id, "lease.owner": owner},
            {"$set": {cursor: seq, "inflight": None, **_CLEAR, "pending": pending,
                      "updated_at": now},
             "$push": {"exported": entry}})
        return result.matched_count == 1

    def settled(self, report_id: str, owner: str, now: datetime) -> None:
        """A pass that sent everything: no error, nothing blocked, no back-off left."""
        self.docs.update_one({"_id": report_id, "lease.owner": owner},
                             {"$set": {**_CLEAR, "updated_at": now}})

    def set_pending(self, report_id: str, pending: int, now: datetime) -> None:
        self.docs.update_one({"_id": report_id},
                             {"$set": {"pending": pending, "updated_at": now}})

    def record_error(self, report_id: str, reason: str, now: datetime,
                     blocked: bool = False) -> None:
        """`blocked`: LAPOR! refused the call; the catch-up passes the report over."""
        error = {"at": now, "reason": reason}
        fields = {"last_error": error, "updated_at": now}
        if blocked:
            fields["blocked"] = error
        self.docs.update_one({"_id": report_id}, {"$set": fields})

    def defer(self, report_id: str, now: datetime, first_s: float, max_s: float) -> None:
        """The catch-up failed on this report again: it waits twice as long as last time
        (from `first_s`, at most `max_s`) before the catch-up tries it again."""
        doc = self.docs.find_one_and_update({"_id": report_id}, {"$inc": {"retries": 1}},
                                            projection={"retries": 1},
                                            return_document=ReturnDocument.AFTER)
        if doc is None:
            return
        wait = min(max_s, first_s * 2 ** min(int(doc.get("retries") or 1) - 1, 20))
        self.docs.update_one({"_id": report_id},
                             {"$set": {"retry_at": now + timedelta(seconds=wait)}})

    def flag_recheck(self, report_id: str) -> None:
        """An event whose exporter could not get the lease: whoever looks next looks again."""
        self.docs.update_one({"_id": report_id}, {"$set": {"recheck": True}})

    def clear_recheck(self, report_id: str, owner: str) -> None:
        """Before a pass reads the report: an event flagged after this read stays flagged."""
        self.docs.update_one({"_id": report_id, "lease.owner": owner, "recheck": True},
                             {"$set": {"recheck": False}})

    def with_pending(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        """Linked reports with follow-ups still waiting, a failed last send, an event not
        looked at (`recheck`), or referred to LAPOR! and not created there yet; not those
        LAPOR! refused (`blocked`) nor those whose back-off runs; the longest untouched first,
        so a few failing reports (each failure touches them) cannot hold up the rest."""
        waiting = {"$or": [{"pending": {"$gt": 0}}, {"last_error": {"$ne": None}},
                           {"recheck": True}, {"tracking_id": None}]}
        due = {"$or": [{"retry_at": None}, {"retry_at": {"$lte": now}}]}
        return list(self.docs.find({"$and": [waiting, due, {"blocked": None}]},
                                   {"_id": 1, "city": 1, "code": 1})
                    .sort([("updated_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    # ---- the importer's cursors --------------------------------------------------------

    def cursor(self, city: str) -> datetime | None:
        doc = self.cursors.find_one({"_id": city}) or {}
        since = doc.get("updated_since")
        if isinstance(since, datetime) and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return since

    def save_run(self, city: str, since: datetime | None, run: dict[str, Any],
                 succeeded: bool, now: datetime) -> None:
        """A run's outcome; the cursor moves only after a run that went through every page."""
        fields: dict[str, Any] = {"city": city, "last_run_at": now, "last_run": run}
        if succeeded:
            fields["last_success_at"] = now
            fields["last_error"] = None
            if since is not None:
                fields["updated_since"] = since
        else:
            fields["last_error"] = {"at": now, "reason": run.get("error")}
        self.cursors.update_one({"_id": city}, {"$set": fields}, upsert=True)

    def record_refused(self, city: str, tracking_id: str, reason: str, now: datetime) -> None:
        """A LAPOR! report intake would not take (kept, the last 50, for the operators)."""
        self.cursors.update_one(
            {"_id": city},
            {"$push": {"refused": {"$each": [{"tracking_id": tracking_id, "reason": reason,
                                              "at": now}], "$slice": -50}}},
            upsert=True)
