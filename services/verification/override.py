"""An operator overrides the verdict on a report's photos, with a note: the same decision as
the workflow's `verify` and `reject` actions (`aduan.domain.lifecycle`), with the same effects.

needs_review → verified | rejected, and rejected → verified (an automatic rejection that was
wrong, e.g. a GPS fix just outside a simplified boundary). Publishing follows the verdict: a
report made verified gets its public copies (rendered now if the worker never made them or
they were withdrawn); a report made rejected has them withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.contracts.verdicts import VerdictIn
from aduan.domain.errors import Conflict
from aduan.domain.lifecycle import OVERTURNABLE, Actor, Plan, plan_reject, plan_verify
from aduan.infra import metrics
from aduan.infra.backends import Backends
from aduan.infra.catalogue import category_of
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines
from aduan.infra.images import ALLOWED_FORMATS, accepted_formats
from aduan.infra.messaging import Publisher
from aduan.infra.photo_copies import publish_missing, withdraw_copies
from aduan.infra.reports import Reports
from aduan.infra.storage import ObjectStore
from aduan.web.auth import Principal
from aduan.web.errors import ApiError
from aduan.web.report_access import staff_report


def _not_overridable(status: str, target: str) -> ApiError:
    return ApiError(409, "verdict_not_overridable",
                    f"A report that is {status} cannot be made {target}.",
                    {"status": status, "verdict": target})


@dataclass
class VerdictOverride:
    settings: Settings
    db: Database
    store: ObjectStore
    publisher: Publisher | None
    deadlines: Deadlines
    formats: frozenset[str] = ALLOWED_FORMATS

    @classmethod
    def of(cls, settings: Settings, backends: Backends) -> VerdictOverride:
        return cls(settings, backends.db, backends.store, backends.publisher,
                   Deadlines.from_settings(settings), accepted_formats(settings.heif_enabled))

    def apply(self, code: str, change: VerdictIn, principal: Principal,
              correlation_id: str | None) -> dict[str, Any]:
        report = staff_report(self.db, code, principal)
        target = change.verdict
        actor = Actor(kind="staff", id=principal.user_id, role=principal.role,
                      agency=principal.agency)
        reports = Reports(self.db, self.publisher)
        # The write is pinned on the version read: a device's push mark (a version bump, the
        # status unchanged) in between is read and planned again, once, as Reports.perform
        # does; a report another operator moved meanwhile is refused as before.
        for _ in range(2):
            if report["status"] not in OVERTURNABLE:
                raise _not_overridable(report["status"], target)
            now = datetime.now(UTC)
            try:
                plan = self._plan(report, target, change.note, actor, now)
            except Conflict as refused:  # e.g. rejecting a rejected report
                raise _not_overridable(report["status"], target) from refused
            updated = reports.commit(report, plan, actor, now, correlation_id)
            if updated is not None:
                break
            current = reports.get(report["_id"]) or report
            if current["status"] != report["status"]:
                raise _not_overridable(current["status"], target)
            report = current
        else:
            raise Conflict("concurrent_update",
                           "This report is changing too often right now; retry.")
        metrics.verification_overrides.labels(target).inc()
        if "withdraw_copies" in plan.effects:
            # The report no longer points at them: a failure only leaves an orphan copy.
            withdraw_copies(self.store, report.get("photos", []))
        verification = dict(updated.get("verification", {}))
        override = dict(verification.get("override") or {})
        if isinstance(override.get("at"), datetime):
            override["at"] = override["at"].isoformat()
        return {"code": updated["code"], "status": updated["status"],
                "verification": {**verification, "override": override}}

    def _plan(self, report: dict[str, Any], target: str, note: str, actor: Actor,
              now: datetime) -> Plan:
        if target == "rejected":
            return plan_reject(report, now, note, actor)
        category = category_of(self.db, report)
        photos = publish_missing(self.store, report, self.settings.max_image_pixels,
                                 self.formats)
        return plan_verify(report, now, note, actor, deadlines=self.deadlines,
                           category=category, photos=photos)
