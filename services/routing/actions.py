"""The workflow's service layer: what an operator, an agency or a reporter asks for is planned by
the lifecycle (`aduan.domain.lifecycle`, which decides and refuses), committed by
`aduan.infra.reports.Reports` (one conditional write, re-planned when the report changed in
between) and surrounded by the side effects the action table names: the public copies a
verified report needs (`publish_copies`), the evidence a resolution stores (`store_evidence`)
and the copies a rejection withdraws (`withdraw_copies`).

This layer only loads what a planner needs and the planner cannot read itself: the report's
category, the agencies named (active ones of the report's city), the original of a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pymongo.database import Database

from aduan.domain import lifecycle
from aduan.domain.errors import Conflict, Forbidden, Invalid
from aduan.domain.geo import city_area
from aduan.domain.lifecycle import ACTIONS, AGENCY, Actor, Plan
from aduan.infra import metrics
from aduan.infra.catalogue import category_of, cities
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines
from aduan.infra.images import ALLOWED_FORMATS, accepted_formats
from aduan.infra.messaging import Publisher
from aduan.infra.photo_copies import publish_missing, withdraw_copies
from aduan.infra.reports import Planner, Reports
from aduan.infra.storage import ObjectStore
from services.routing.evidence import Evidence, delete_evidence, evidence_keys, store_evidence
from services.routing.officers import evidence_check, officer_planner, on_duty
from services.routing.rules import KECAMATAN_MARGIN_M, kecamatan_of_report


@dataclass(frozen=True)
class Request:
    """What a person sent with an action (already validated at the edge)."""

    note: str | None = None
    public_response: str | None = None  # staff's answer to the reporter and the public
    agencies: tuple[str, ...] = ()  # forward, reroute
    of: str | None = None  # duplicate: the original's tracking code
    until: date | None = None  # postpone: the day the report comes back to the queue
    agency: str | None = None  # escalate: the agency whose head hears it (operators)
    officers: tuple[str, ...] = ()  # dispatch: the officers' user ids
    point: tuple[float, float] | None = None  # verify: where a report without a point is


class Workflow:
    def __init__(self, settings: Settings, db: Database, store: ObjectStore,
                 publisher: Publisher | None, deadlines: Deadlines,
                 formats: frozenset[str] = ALLOWED_FORMATS) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.publisher = publisher
        self.deadlines = deadlines
        self.formats = formats  # the photo formats a raw photo may be rendered from
        self.reports = Reports(db, publisher)

    @classmethod
    def of(cls, settings: Settings, db: Database, store: ObjectStore,
           publisher: Publisher | None) -> Workflow:
        """With the settings' deadlines (working days of its holiday calendar) and formats."""
        return cls(settings, db, store, publisher,
                   Deadlines.from_settings(settings), accepted_formats(settings.heif_enabled))

    # ---- what planners need --------------------------------------------------------------

    def category_of(self, report: dict[str, Any]) -> dict[str, Any] | None:
        return category_of(self.db, report)

    def agencies_by_code(self, city: str, codes: list[str]) -> list[dict[str, Any]]:
        found = {a["code"]: a for a in self.db.agencies.find(
            {"city": city, "code": {"$in": codes}, "active": {"$ne": False}})}
        missing = [code for code in codes if code not in found]
        if missing:
            raise Invalid("unknown_agency", "No active agency of this city has this code.",
                          {"agencies": missing})
        return [found[code] for code in codes]

    def place(self, city: str, point: tuple[float, float]) -> dict[str, Any]:
        """A point an operator gave, with its kecamatan; inside the city (give or take the
        margin routing allows at its edges) or refused."""
        lat, lon = point
        if not city_area(city).contains(lat, lon, KECAMATAN_MARGIN_M):
            raise Invalid("point_outside_city", "This point is not in the city.",
                          {"field": "point"})
        located = {"city": city, "location": {"lat": lat, "lon": lon}}
        return {"lat": lat, "lon": lon, "kecamatan": kecamatan_of_report(located)}

    def planner(self, report: dict[str, Any], action: str, actor: Actor, sent: Request,
                photos: list[dict[str, Any]] | None = None,
                evidence_reasons: list[str] | None = None) -> Planner:
        """The planner of `action` for `report`, with what it needs loaded once (none of it
        changes when the report is read again). `photos`: the evidence of a resolution, or
        the report's photos with their public copies for `verify`; `evidence_reasons`: why
        a resolution's evidence failed the photo checks."""
        planner = on_duty(self._planner(report, action, actor, sent, photos), action, actor,
                          evidence_reasons or [])
        if not sent.public_response or ACTIONS[action].by == AGENCY:
            return planner  # an agency's answer is plan_agency's: it ends a clock
        return lambda current, now: lifecycle.answered(planner(current, now),
                                                       sent.public_response)

    def _planner(self, report: dict[str, Any], action: str, actor: Actor, sent: Request,
                 photos: list[dict[str, Any]] | None) -> Planner:
        note, deadlines = sent.note, self.deadlines
        simple: dict[str, Callable[[dict[str, Any], datetime, str | None], Plan]] = {
            "reject": lambda r, now, n: lifecycle.plan_reject(r, now, n, actor),
            "archive": lifecycle.plan_archive, "confirm": lifecycle.plan_confirm,
        }
        if action in simple:
            return lambda current, now: simple[action](current, now, note)
        if action == "postpone":
            if sent.until is None:
                raise Invalid("until_required", "Say until which day it is postponed.",
                              {"field": "until"})
            until, timezone = sent.until, cities()[report["city"]]["timezone"]
            return lambda current, now: lifecycle.plan_postpone(current, now, note, until=until,
                                                                timezone=timezone)
        if action == "escalate":
            return lambda current, now: lifecycle.plan_escalate(current, now, actor, note,
                                                                sent.agency)
        if action == "duplicate":
            original = self.reports.by_code(sent.of or "", {"city": 1, "code": 1, "status": 1})
            return lambda current, now: lifecycle.plan_duplicate(current, now, original,
                                                                 sent.of or "", note)
        category = self.category_of(report)
        if action == "verify":
            place = self.place(report["city"], sent.point) if sent.point else None
            return lambda current, now: lifecycle.plan_verify(
                current, now, note, actor, deadlines=deadlines, category=category, photos=photos,
                place=place)
        if action == "reopen":
            return lambda current, now: lifecycle.plan_reopen(
                current, now, note, deadlines=deadlines, category=category)
        if action in ("forward", "reroute"):
            agencies = self.agencies_by_code(report["city"], list(sent.agencies))
            return lambda current, now: lifecycle.plan_send(
                current, agencies, now, action=action, note=note, deadlines=deadlines,
                category=category)
        if action not in ACTIONS or ACTIONS[action].by != AGENCY:
            raise Invalid("unknown_action", f"'{action}' is not a workflow action.")
        agency = actor.agency
        if not agency:
            raise Forbidden("not_assigned", "Your account belongs to no agency.")
        if action in lifecycle.OFFICER_ACTIONS:
            return officer_planner(self.db, deadlines, report, action, actor, note,
                                   sent.officers, category, photos, sent.public_response)
        return lambda current, now: lifecycle.plan_agency(
            current, now, action, agency, note, deadlines=deadlines, category=category,
            photos=photos, public_response=sent.public_response)

    # ---- carrying an action out ----------------------------------------------------------

    def act(self, report: dict[str, Any], action: str, actor: Actor, sent: Request,
            evidence: list[Evidence], correlation_id: str | None) -> dict[str, Any]:
        """Plans `action` on `report` (as the caller was allowed to read it), carries out its
        side effects and commits it; the report as it now is."""
        effects = ACTIONS[action].effects if action in ACTIONS else ()
        photos = [evidence_keys(report["city"], report["_id"], e.id) for e in evidence]
        reasons = evidence_check(self.settings, report, evidence, datetime.now(UTC)) \
            if action == "resolve" else []
        planner = self.planner(report, action, actor, sent, photos or None, reasons)
        planner(report, datetime.now(UTC))  # refused here: no side effect is left behind
        if "publish_copies" in effects:
            # Kept even if the write then fails: the keys are the photo's own, and a verify
            # that won meanwhile points at the same ones.
            published = publish_missing(self.store, report, self.settings.max_image_pixels,
                                        self.formats)
            if published != report.get("photos", []):
                planner = self.planner(report, action, actor, sent, published)
        stored = store_evidence(self.store, report["city"], report["_id"], evidence) \
            if "store_evidence" in effects else []
        planned: list[tuple[dict[str, Any], Plan]] = []  # each plan and the report it read

        def tracked(current: dict[str, Any], now: datetime) -> Plan:
            plan = planner(current, now)
            planned.append((current, plan))
            return plan

        try:
            updated = self.reports.perform(report["_id"], tracked, actor, correlation_id)
        except Exception:
            delete_evidence(self.store, stored)
            raise
        read, plan = planned[-1]
        if "withdraw_copies" in effects:
            # The report no longer points at them: a failure only leaves an orphan copy.
            withdraw_copies(self.store, read.get("photos", []))
        if "verification.override" in plan.set:  # the photo checks' verdict overturned
            metrics.verification_overrides.labels(plan.target).inc()
        return updated

    def rate(self, report: dict[str, Any], actor: Actor, score: int, comment: str | None,
             correlation_id: str | None) -> dict[str, Any]:
        """The reporter's rating, recorded once; the rating as stored."""
        now = datetime.now(UTC)
        plan = lifecycle.plan_rate(report, now, score, comment)
        updated = self.reports.commit(report, plan, actor, now, correlation_id)
        if updated is None:  # rated (or reopened) since it was read
            raise Conflict("already_rated", "This report has already been rated.")
        return updated["rating"]
