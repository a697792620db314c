"""Verification consumer: judges a submitted report's photos, stores publishable copies and
commits the verdict through the lifecycle (`plan_judgement`)."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from aduan.domain.lifecycle import ACTIONS, Actor, plan_judgement
from aduan.domain.nearby import Nearness, near_by_place, possible_duplicates
from aduan.domain.report_types import NO_CAMERA_PROOF_CHANNELS, NO_PHOTO, point_of
from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.images import accepted_formats
from aduan.infra.messaging import Delivery, Publisher, run_consumer_process
from aduan.infra.outbox import defer_pulls, pull_interval
from aduan.infra.photo_copies import publish_copies
from aduan.infra.report_snapshots import carried
from aduan.infra.reports import Reports
from aduan.infra.storage import ObjectStore
from aduan.web.errors import PermanentError
from services.verification.checks import device_location_reasons
from services.verification.duplicates import DuplicateMatch, Lookup, PhotoHash, look_up, remember
from services.verification.judge import PhotoFinding, examine_photo
from services.verification.places import place_candidates, report_brief, report_place_key
from services.verification.policy import Policy, load_policies

log = logging.getLogger(__name__)
SYSTEM = Actor(kind="system", id="verification")


def has_camera_proof(report: dict[str, Any]) -> bool:
    """False for a report a connector brought from another system (it carries `external`):
    staff filing `sp4n_lapor` from the desk hold the photos themselves, so the camera checks
    run as for any upload."""
    return not (report.get("channel") in NO_CAMERA_PROOF_CHANNELS and report.get("external"))


# Fields that change without changing what the judging read: a device's push mark (with its
# version bump), followers, the outbox's pulls, the time of the last change.
UNJUDGED_FIELDS = frozenset({"version", "push_subscribed", "followers", "followers_rev",
                             "outbox", "updated_at"})
WRITE_ATTEMPTS = 5


@dataclasses.dataclass(frozen=True)
class _Verdict:
    """What judging `report` found: written again as it is while the report judged is the same
    but for UNJUDGED_FIELDS."""

    report: dict[str, Any]
    started_at: datetime
    outcome: str
    reasons: list[str]
    flags: list[str]
    photos: list[dict[str, Any]]
    duplicate: DuplicateMatch | None
    possible_duplicates: list[dict[str, Any]]
    place_key: Any


def _judged_part(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in UNJUDGED_FIELDS}


def _union(lists: list[list[str]]) -> list[str]:
    merged: list[str] = []
    for items in lists:
        merged.extend(item for item in items if item not in merged)
    return merged


class Verifier:
    def __init__(self, settings: Settings, db: Database, store: ObjectStore,
                 publisher: Publisher | None, policies: dict[str, Policy] | None = None
                 ) -> None:
        self.settings = settings
        # A bad policy stops the worker at start.
        self.policies = policies if policies is not None else load_policies(settings)
        self.formats = accepted_formats(settings.heif_enabled)
        self.db = db
        self.store = store
        self.reports = Reports(db, publisher)
        self.nearness = Nearness(settings.place_duplicate_radius_m,
                                 timedelta(hours=settings.place_duplicate_window_h))

    @classmethod
    def from_settings(cls, settings: Settings) -> Verifier:
        db = get_db(settings)
        # Published events leave the outbox in one write for many reports.
        defer_pulls(db, pull_interval(settings.outbox_relay_after_s))
        return cls(settings, db, ObjectStore(settings), Publisher(settings))

    def handle(self, delivery: Delivery) -> None:
        report_id = delivery.body.get("report_id")
        # The report as submitted, carried by the event; read when the event has none (one
        # published by an earlier version). A copy that is not fresh (relayed late,
        # redelivered, replayed) is not used: the report may have been judged or rejected
        # since (`report_snapshots.carried`).
        report = carried(delivery)
        if report is None:
            report = self._read(report_id)
        self._settle(report, delivery)

    def _read(self, report_id: Any) -> dict[str, Any]:
        report = self.reports.get(report_id) if isinstance(report_id, str) else None
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        return report

    def _settle(self, report: dict[str, Any], delivery: Delivery) -> None:
        """Judges the report and writes the verdict, pinned on the version judged. A write that
        misses (the report changed meanwhile) reads it again: judged or rejected by someone
        else, it is left as it is; still to judge, the verdict is written again, judged
        afresh only when what the judging read changed (a device's push mark, a follower or
        an outbox pull only moves the version). Missing every time raises: the event is
        retried, never acknowledged with the report unjudged."""
        verdict: _Verdict | None = None
        for _ in range(WRITE_ATTEMPTS):
            # A report left in `verifying` by an earlier version of this worker is judged all
            # the same; one judged already (a redelivery) is left as it is.
            if report["status"] not in ACTIONS["judge"].starts:
                log.info("report %s already judged; nothing to do", report["_id"])
                return
            if verdict is None or _judged_part(verdict.report) != _judged_part(report):
                verdict = self._judge(report)
            if self._write(report, verdict, delivery):
                return
            log.info("report %s changed while judged; read again", report["_id"])
            report = self._read(report["_id"])
        raise RuntimeError(f"report {report['_id']} kept changing while judged; retried later")

    def _examine(self, report: dict[str, Any], photo: dict[str, Any], policy: Policy
                 ) -> tuple[PhotoFinding, DuplicateMatch | None]:
        data = self.store.get(self.store.raw_bucket, photo["raw_key"])
        started = time.perf_counter()
        claimed = point_of(report)  # None: the report has no point to compare with
        finding = examine_photo(data, policy, report["created_at"], claimed,
                                self.settings.max_image_pixels, self.formats,
                                camera_proof=has_camera_proof(report))
        lookup = Lookup(None)
        if finding.rendition is not None:
            value = PhotoHash(finding.rendition.dhash, finding.rendition.equalised_dhash)
            if policy.enabled("possible_duplicate"):
                lookup = look_up(self.db, report["city"], value, report["created_at"],
                                 report["_id"], policy.duplicate_max_distance)
            remember(self.db, report["city"], report, photo["id"], value,
                     indexed=not lookup.copy)
        metrics.verification_photo_duration.observe(time.perf_counter() - started)
        return finding, lookup.match

    def _judge(self, report: dict[str, Any]) -> _Verdict:
        started_at = datetime.now(UTC)
        city = report["city"]
        policy = self.policies[city]
        photos, renditions, reasons, flags = [], [], [], []
        duplicate: DuplicateMatch | None = None
        if not report.get("photos"):
            # Nothing to check: an operator reviews it, whatever the city's policy (a missing
            # photo never rejects a report: the desk files phone calls).
            reasons.append([NO_PHOTO])
        for photo in report.get("photos") or []:
            finding, match = self._examine(report, photo, policy)
            found = list(finding.reasons)
            if finding.metadata is not None and has_camera_proof(report):
                found += device_location_reasons(policy, report.get("device_location"),
                                                 finding.metadata, point_of(report))
            entry = {**photo, "metadata": finding.metadata}
            if match is not None:
                found.append("possible_duplicate")
                entry["possible_duplicate_of"] = match.as_doc()
                if duplicate is None or match.distance < duplicate.distance:
                    duplicate = match
            decided, flagged = policy.split(found)
            photos.append({**entry, "reasons": decided, "flags": flagged})
            renditions.append(finding.rendition)
            reasons.append(decided)
            flags.append(flagged)
        all_reasons, all_flags = _union(reasons), _union(flags)
        outcome = "needs_review" if NO_PHOTO in all_reasons else policy.verdict(all_reasons)
        if outcome != "rejected":
            photos = [
                publish_copies(self.store, city, report["_id"], photo, rendition)
                if rendition is not None else photo
                for photo, rendition in zip(photos, renditions, strict=True)
            ]
        return _Verdict(report, started_at, outcome, all_reasons, all_flags, photos, duplicate,
                        self._possible_duplicates(report, duplicate), report_place_key(report))

    def _write(self, report: dict[str, Any], verdict: _Verdict, delivery: Delivery) -> bool:
        """The verdict's write, pinned on `report`'s status and version; False: it missed."""
        plan = plan_judgement(report, verdict.outcome, verdict.started_at,
                              reasons=verdict.reasons, flags=verdict.flags,
                              photos=verdict.photos,
                              duplicate=verdict.duplicate.as_doc() if verdict.duplicate else None)
        # Stored with the verdict, in the same write: once a report is judged, its list is known.
        plan = dataclasses.replace(plan, set={
            **plan.set, "possible_duplicates": verdict.possible_duplicates,
            "place_key": verdict.place_key})
        # The event judged was published: the verdict's write takes it out of the outbox.
        updated, events = self.reports.write(report, plan, SYSTEM, datetime.now(UTC),
                                             delivery.correlation_id, delivery.message_id)
        if updated is None:
            return False
        metrics.verification_verdicts.labels(verdict.outcome).inc()
        for reason in verdict.reasons + verdict.flags:
            metrics.verification_reasons.labels(reason).inc()
        if verdict.duplicate is not None:
            metrics.verification_duplicates.inc()
        self.reports.publish(report["_id"], events)
        return True

    def _possible_duplicates(self, report: dict[str, Any], photo_match: DuplicateMatch | None
                             ) -> list[dict[str, Any]]:
        candidates = place_candidates(self.db, report, self.nearness)
        by_place = near_by_place(report, candidates, self.nearness)
        original = None
        if photo_match is not None:
            # The same photo was most often sent from the same place: read already, then.
            original = next((c for c in candidates if c["_id"] == photo_match.report_id),
                            None) or report_brief(self.db, photo_match.report_id)
        return possible_duplicates(report, by_place,
                                   photo_match.as_doc() if photo_match else None, original)


def _verifier(settings: Settings):
    return Verifier.from_settings(settings).handle


def main() -> None:
    run_consumer_process("verification", _verifier)


if __name__ == "__main__":
    main()
