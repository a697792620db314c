"""What a sysadmin may send to subscribe a URL to report events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from aduan.contracts.base import Strict
from aduan.contracts.fields import CityCode

EVENTS = ("report.submitted", "report.verified", "report.needs_review", "report.rejected",
          "report.forwarded", "report.referred", "report.status_changed", "report.sla_breached",
          "report.commented")
# Who a subscription belongs to decides what it may hear (aduan.domain.visibility.webhook_share).
OWNERS = ("city", "agency", "client")


class SubscriptionIn(Strict):
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000,
                                          pattern=r"^https?://[^\s/?#@]+(/[^\s]*)?$")]
    secret: Annotated[str, Field(min_length=16, max_length=256)]
    events: Annotated[list[Literal[EVENTS]], Field(min_length=1, max_length=len(EVENTS))]  # type: ignore[valid-type]
    city: CityCode | None = None
    agency: Annotated[str, Field(pattern=r"^[A-Z0-9_]{2,20}$")] | None = None
    owner: Literal[OWNERS] = "client"  # type: ignore[valid-type]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None \
        = None
