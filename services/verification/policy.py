"""What each check does in each city: reject, send to review, flag only, or nothing (off),
and the limits the checks use.

Defaults come from `DEFAULT_ACTIONS` and the `Settings` limits; `ADUAN_VERIFICATION_POLICIES`
(JSON text, or `@path` to a JSON file) overrides them for every city (`"*"`) and then per city:

    {"*": {"checks": {"camera_missing": "flag"}},
     "depok": {"checks": {"screenshot": "reject"}, "max_age_hours": 6}}

A bad policy (unknown city, reason, action or limit) fails at start, never at the first photo.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from services.verification.duplicates import MAX_DISTANCE

REJECT, REVIEW, FLAG, OFF = "reject", "review", "flag", "off"
Action = Literal["reject", "review", "flag", "off"]

# A file that is not a safe, decodable image of an allowed type is always refused.
MANDATORY = frozenset({"unsupported_format", "too_many_pixels", "corrupt_image"})

DEFAULT_ACTIONS: dict[str, str] = {
    "unsupported_format": REJECT,
    "too_many_pixels": REJECT,
    "corrupt_image": REJECT,
    "outside_city": REJECT,
    "gps_invalid": REJECT,
    "exif_missing": REVIEW,
    "gps_missing": REVIEW,
    "far_from_claimed_location": REVIEW,
    "capture_time_missing": REVIEW,
    "stale_photo": REVIEW,
    "future_capture_time": REVIEW,
    "camera_missing": REVIEW,
    "edited_software": REVIEW,
    "screenshot": REVIEW,
    # A near-identical earlier photo links the report; by default that alone holds nothing up.
    "possible_duplicate": FLAG,
    # A photo that came through WhatsApp or SP4N-LAPOR! (aduan.domain.report_types.
    # NO_CAMERA_PROOF_CHANNELS): its EXIF is stripped or not ours to trust, so the camera checks
    # do not run and this reason says so. "review" (the default): an operator looks at it;
    # "flag" or "off": such photos are accepted on the report's own location.
    "no_camera_proof": REVIEW,
    # The phone's own location reading sent beside the photo (aduan.domain.device_location):
    # the photo's GPS and the reading disagree, the reading is far from the report's point,
    # or it is too vague to compare (then only recorded).
    "device_location_mismatch": REVIEW,
    "device_far_from_claimed_location": REVIEW,
    "device_location_imprecise": FLAG,
}
REASONS = frozenset(DEFAULT_ACTIONS)
# The farthest the indexed look-up is sure to find (services/verification/duplicates.py).
MAX_DUPLICATE_DISTANCE = MAX_DISTANCE


@dataclass(frozen=True)
class Policy:
    city: str
    timezone: str = "Asia/Jakarta"
    margin_m: float = 500.0
    max_age: timedelta = timedelta(hours=24)
    future_tolerance: timedelta = timedelta(minutes=10)
    max_claimed_distance_m: float = 1000.0
    duplicate_max_distance: int = MAX_DUPLICATE_DISTANCE
    # The phone's reading (aduan.domain.device_location.DeviceLimits).
    device_tolerance_m: float = 100.0
    device_max_accuracy_m: float = 500.0
    actions: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))

    def action(self, reason: str) -> str:
        return self.actions.get(reason, REVIEW)

    def enabled(self, reason: str) -> bool:
        return self.action(reason) != OFF

    def active(self, reasons: Iterable[str]) -> list[str]:
        """The reasons of enabled checks, in order, without repeats."""
        kept: list[str] = []
        for reason in reasons:
            if self.enabled(reason) and reason not in kept:
                kept.append(reason)
        return kept

    def split(self, reasons: Iterable[str]) -> tuple[list[str], list[str]]:
        """(reasons that decide the verdict, flags that are only recorded)."""
        active = self.active(reasons)
        return ([r for r in active if self.action(r) in (REJECT, REVIEW)],
                [r for r in active if self.action(r) == FLAG])

    def verdict(self, reasons: Iterable[str]) -> str:
        actions = {self.action(reason) for reason in reasons}
        if REJECT in actions:
            return "rejected"
        if REVIEW in actions:
            return "needs_review"
        return "verified"

    def as_doc(self) -> dict[str, Any]:
        return {
            "city": self.city,
            "margin_m": self.margin_m,
            "max_age_hours": self.max_age / timedelta(hours=1),
            "future_tolerance_minutes": self.future_tolerance / timedelta(minutes=1),
            "max_claimed_distance_m": self.max_claimed_distance_m,
            "duplicate_max_distance": self.duplicate_max_distance,
            "device_tolerance_m": self.device_tolerance_m,
            "device_max_accuracy_m": self.device_max_accuracy_m,
            "checks": dict(sorted(self.actions.items())),
        }


class PolicyOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: dict[str, Action] = Field(default_factory=dict)
    margin_m: float | None = Field(default=None, ge=0, le=50_000)
    max_age_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    future_tolerance_minutes: float | None = Field(default=None, ge=0, le=24 * 60)
    max_claimed_distance_m: float | None = Field(default=None, gt=0, le=1_000_000)
    duplicate_max_distance: int | None = Field(default=None, ge=0, le=MAX_DUPLICATE_DISTANCE)
    device_tolerance_m: float | None = Field(default=None, ge=0, le=100_000)
    device_max_accuracy_m: float | None = Field(default=None, gt=0, le=100_000)


class PolicyError(ValueError):
    pass


def _apply(policy: Policy, override: PolicyOverride, where: str) -> Policy:
    for reason, action in override.checks.items():
        if reason not in REASONS:
            raise PolicyError(f"{where}: unknown check {reason!r}")
        if reason in MANDATORY and action != REJECT:
            raise PolicyError(f"{where}: {reason!r} always rejects")
    values: dict[str, Any] = {"actions": {**policy.actions, **override.checks}}
    if override.margin_m is not None:
        values["margin_m"] = override.margin_m
    if override.max_age_hours is not None:
        values["max_age"] = timedelta(hours=override.max_age_hours)
    if override.future_tolerance_minutes is not None:
        values["future_tolerance"] = timedelta(minutes=override.future_tolerance_minutes)
    if override.max_claimed_distance_m is not None:
        values["max_claimed_distance_m"] = override.max_claimed_distance_m
    if override.duplicate_max_distance is not None:
        values["duplicate_max_distance"] = override.duplicate_max_distance
    for limit in ("device_tolerance_m", "device_max_accuracy_m"):
        if getattr(override, limit) is not None:
            values[limit] = getattr(override, limit)
    return replace(policy, **values)


def _read_overrides(text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {}
    try:
        if text.startswith("@"):
            text = Path(text[1:]).read_text()
        raw = json.loads(text)
    except (OSError, ValueError) as err:
        raise PolicyError(f"ADUAN_VERIFICATION_POLICIES is not readable JSON: {err}") from err
    if not isinstance(raw, dict):
        raise PolicyError("ADUAN_VERIFICATION_POLICIES must be a JSON object")
    return raw


def load_policies(settings: Settings) -> dict[str, Policy]:
    """The verification policy of every city served."""
    if not 0 <= settings.duplicate_max_distance <= MAX_DUPLICATE_DISTANCE:
        raise PolicyError(f"duplicate_max_distance must be 0..{MAX_DUPLICATE_DISTANCE}")
    raw = _read_overrides(settings.verification_policies)
    unknown = set(raw) - set(cities()) - {"*"}
    if unknown:
        raise PolicyError(f"ADUAN_VERIFICATION_POLICIES: unknown cities {sorted(unknown)}")
    overrides: dict[str, PolicyOverride] = {}
    for name, value in raw.items():
        try:
            overrides[name] = PolicyOverride.model_validate(value)
        except ValidationError as err:
            raise PolicyError(f"ADUAN_VERIFICATION_POLICIES[{name!r}]: {err}") from err
    policies = {}
    for city, info in cities().items():
        policy = Policy(
            city=city,
            timezone=info["timezone"],
            margin_m=settings.city_margin_m,
            max_age=timedelta(hours=settings.photo_max_age_hours),
            future_tolerance=timedelta(minutes=settings.photo_future_tolerance_minutes),
            max_claimed_distance_m=settings.claimed_location_max_m,
            duplicate_max_distance=settings.duplicate_max_distance,
        )
        for name in ("*", city):
            if name in overrides:
                policy = _apply(policy, overrides[name], name)
        policies[city] = policy
    return policies
