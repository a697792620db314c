"""The stage views cities publish, projected from a report's status and its agencies' own
sub-statuses. Pure functions, no I/O.

Three views are known by name (`PRESETS`): Padang Kiniko's four stages, Sigap! Depok's three and
SP4N-LAPOR!'s four. Each city shows one of them, or a view of its own: `stages` in
aduan/data/cities.json is a preset's name or a list of stages ({code, id, en, statuses});
`stage_view` reads either and checks it (known statuses, each in one stage at most). Kiniko and
Sigap are also always given by name (`stages()`), since staff lists and filters use them.

A report outside a view's pipeline (not yet verified, rejected, archived, a duplicate) has no
stage there (None). A referral to a vertical body ends the city's part: it counts as done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aduan.domain.lifecycle import STATUSES

# A report's status as one agency's own progress shows it (its latest assignment).
_STATUS_OF_ASSIGNMENT: dict[str, str | None] = {
    "forwarded": "forwarded",
    "accepted": "accepted",
    "in_progress": "in_progress",
    "resolved": "resolved",
    "handed_back": None,
    "withdrawn": None,
}


@dataclass(frozen=True)
class Stage:
    code: str
    id: str
    en: str
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class StageView:
    """One city's stage view: its stages in order, each made of report statuses."""

    name: str
    stages: tuple[Stage, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(stage.code for stage in self.stages)

    def stage_of_status(self, status: str) -> str | None:
        for stage in self.stages:
            if status in stage.statuses:
                return stage.code
        return None

    def stage(self, report: Mapping[str, Any]) -> str | None:
        return self.stage_of_status(report["status"])

    def stage_for_agency(self, report: Mapping[str, Any], agency: str) -> str | None:
        """The stage as one agency's own dashboard shows it: its own assignment's progress (the
        latest one, when the report was forwarded to it more than once)."""
        mine = [a for a in report.get("agencies") or [] if a["code"] == agency]
        if not mine:
            return None
        status = _STATUS_OF_ASSIGNMENT[mine[-1]["status"]]
        if status == "resolved" and report["status"] == "closed":
            status = "closed"
        return None if status is None else self.stage_of_status(status)

    def statuses_in(self, stage: str) -> list[str]:
        return sorted(next((s.statuses for s in self.stages if s.code == stage), ()))

    def names(self) -> list[dict[str, str]]:
        """The stages in order with their names, ending with "none" (outside the pipeline)."""
        return [*({"code": s.code, "id": s.id, "en": s.en} for s in self.stages),
                {"code": "none", **NO_STAGE}]


# A report outside a stage view's pipeline (stage None).
NO_STAGE = {"id": "Di luar alur", "en": "Outside the pipeline"}


def _view(name: str, stages: Sequence[tuple[str, str, str, tuple[str, ...]]]) -> StageView:
    return StageView(name, tuple(Stage(*stage) for stage in stages))


KINIKO = _view("kiniko", (
    ("not_forwarded", "Belum diteruskan admin", "Not yet forwarded by the admin",
     ("submitted", "verifying", "needs_review", "verified", "postponed")),
    ("not_accepted", "Belum diterima OPD/camat", "Not yet accepted by the agency",
     ("forwarded",)),
    ("accepted", "Diterima", "Accepted", ("accepted", "in_progress", "reopened")),
    ("done", "Selesai", "Done", ("resolved", "closed", "referred")),
))
SIGAP = _view("sigap", (
    ("verified", "Terverifikasi", "Verified", ("verified", "postponed")),
    ("in_process", "Diproses", "In process", ("forwarded", "accepted", "in_progress",
                                               "reopened")),
    ("done", "Selesai", "Done", ("resolved", "closed", "referred")),
))
# SP4N-LAPOR!'s statuses: the national platform's, for a city without a view of its own.
LAPOR = _view("lapor", (
    ("not_verified", "Belum terverifikasi", "Not yet verified",
     ("submitted", "verifying", "needs_review")),
    ("not_followed_up", "Belum ditindaklanjuti", "Not yet followed up",
     ("verified", "postponed", "forwarded")),
    ("in_process", "Proses", "In process", ("accepted", "in_progress", "reopened")),
    ("done", "Selesai", "Done", ("resolved", "closed", "referred")),
))
PRESETS: dict[str, StageView] = {view.name: view for view in (KINIKO, SIGAP, LAPOR)}
DEFAULT_VIEW = LAPOR

# The names of each preset's stages, as the console and messages show them.
KINIKO_STAGES: dict[str, dict[str, str]] = {s.code: {"id": s.id, "en": s.en}
                                            for s in KINIKO.stages}
SIGAP_STAGES: dict[str, dict[str, str]] = {s.code: {"id": s.id, "en": s.en}
                                           for s in SIGAP.stages}


def stage_view(config: Any, name: str = "city") -> StageView:
    """A city's view from its `stages` setting: a preset's name, a list of stages, or nothing
    (the default). Raises ValueError on a view that cannot project every report one way."""
    if config is None:
        return DEFAULT_VIEW
    if isinstance(config, str):
        if config not in PRESETS:
            raise ValueError(f"unknown stage view {config!r}; known: {sorted(PRESETS)}")
        return PRESETS[config]
    if not isinstance(config, list) or not config:
        raise ValueError("stages must be a preset's name or a non-empty list of stages")
    seen_codes: set[str] = set()
    seen_statuses: set[str] = set()
    stages = []
    for item in config:
        if not isinstance(item, dict) or not all(
                isinstance(item.get(key), str) and item[key] for key in ("code", "id", "en")):
            raise ValueError(f"each stage needs a code and its names in id and en: {item!r}")
        statuses = item.get("statuses")
        if not isinstance(statuses, list) or not statuses:
            raise ValueError(f"stage {item['code']!r} lists no statuses")
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise ValueError(f"stage {item['code']!r}: unknown statuses {sorted(unknown)}")
        twice = seen_statuses & set(statuses)
        if twice or item["code"] in seen_codes or item["code"] == "none":
            raise ValueError(f"stage {item['code']!r}: a code or status used twice "
                             f"{sorted(twice)}")
        seen_codes.add(item["code"])
        seen_statuses |= set(statuses)
        stages.append(Stage(item["code"], item["id"], item["en"], tuple(statuses)))
    return StageView(name, tuple(stages))


def kiniko_stage(report: Mapping[str, Any]) -> str | None:
    return KINIKO.stage(report)


def sigap_stage(report: Mapping[str, Any]) -> str | None:
    return SIGAP.stage(report)


def kiniko_stage_for_agency(report: Mapping[str, Any], agency: str) -> str | None:
    return KINIKO.stage_for_agency(report, agency)


def stages(report: Mapping[str, Any], city_view: StageView | None = None
           ) -> dict[str, str | None]:
    """The report's stage in the Kiniko and Sigap views and, given it, in its city's own
    (`city`)."""
    found: dict[str, str | None] = {"kiniko": kiniko_stage(report),
                                    "sigap": sigap_stage(report)}
    if city_view is not None:
        found["city"] = city_view.stage(report)
    return found


def statuses_in_kiniko_stage(stage: str) -> list[str]:
    """The report statuses a Kiniko stage is made of (for list filters)."""
    return KINIKO.statuses_in(stage)
