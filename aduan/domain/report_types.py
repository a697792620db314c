"""Report types (SP4N-LAPOR!, SIKeMas): a complaint (pengaduan), an aspiration (aspirasi: a
suggestion or an idea) or a request for information (permintaan informasi, UU 14/2008 on public
information). Pure rules, no I/O: which types a category accepts and what each asks for (a
photo, a location), what a report without a photo becomes, and the resolution target of each
type.

What a category asks for is data (the catalogue's `types`, city-editable):

    {"complaint": {"photo": "required", "location": "required"},
     "aspiration": {"photo": "optional", "location": "optional", "resolution_days": 30}}

The types it accepts are the keys; a category without `types` takes `DEFAULT_TYPES`. Reports
stored before types existed have no `type`: they are complaints (`type_of`).
"""

from __future__ import annotations

from typing import Any

from aduan.domain.errors import Invalid

COMPLAINT, ASPIRATION, INFORMATION_REQUEST = "complaint", "aspiration", "information_request"
REPORT_TYPES = (COMPLAINT, ASPIRATION, INFORMATION_REQUEST)
DEFAULT_TYPE = COMPLAINT
REQUIRED, OPTIONAL = "required", "optional"
NEEDS = (REQUIRED, OPTIONAL)

DEFAULT_TYPES: dict[str, dict[str, Any]] = {
    COMPLAINT: {"photo": REQUIRED, "location": REQUIRED},
    ASPIRATION: {"photo": OPTIONAL, "location": OPTIONAL},
    INFORMATION_REQUEST: {"photo": OPTIONAL, "location": OPTIONAL},
}
# UU 14/2008 (Keterbukaan Informasi Publik) art. 22(7): a public body answers a request for
# information within 10 working days (extendable once by 7); a category may set its own.
INFORMATION_REQUEST_DAYS = 10

# The resident's own forms (the app, the web console), which have the camera and the map: there
# a photo the category requires is required, and a location is a point. Every other channel
# (Open311 clients, the staff desk, imports) files what the caller or the letter brings.
FORM_CHANNELS = ("app", "web")
# Anyone may file on these; the others are staff's (operators and sysadmins).
RESIDENT_CHANNELS = ("app", "web", "open311")
# Filed by a connector of the platform (the gateway's Open311 endpoint, the SP4N-LAPOR!
# connector, the WhatsApp and SMS channels), which names its channel in a header intake trusts
# only from inside (aduan.web.app.CHANNEL_HEADER). Staff may file `sp4n_lapor` from the desk too.
CONNECTOR_CHANNELS = ("open311", "sp4n_lapor", "whatsapp", "sms")
# Photos that come from another system, which strips or never had the camera's metadata: the
# camera checks cannot prove when and where they were taken (services/verification/policy.py
# `no_camera_proof`); duplicate and screenshot checks still run.
NO_CAMERA_PROOF_CHANNELS = ("sp4n_lapor", "whatsapp")

NO_PHOTO = "no_photo"  # the verification reason of a report filed without a photo


def type_of(report: dict[str, Any]) -> str:
    """The report's type; reports stored before types existed are complaints."""
    return report.get("type") or DEFAULT_TYPE


def category_types(category: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """What each type the category accepts asks for."""
    types = (category or {}).get("types")
    return dict(types) if types else dict(DEFAULT_TYPES)


def needs(category: dict[str, Any] | None, report_type: str) -> dict[str, Any]:
    """What a report of `report_type` in `category` must bring; 422 `type_not_accepted` when the
    category does not take that type."""
    accepted = category_types(category)
    if report_type not in accepted:
        raise Invalid("type_not_accepted", "This category does not accept this report type.",
                      {"type": report_type, "accepted": sorted(accepted)})
    return accepted[report_type]


def photo_required(category: dict[str, Any] | None, report_type: str, channel: str) -> bool:
    """Whether a submission must carry a photo: only where the category asks for one and a
    resident files it themselves; every other channel files without (and `no_photo` sends the
    report to an operator)."""
    return needs(category, report_type).get("photo") == REQUIRED \
        and channel in FORM_CHANNELS


def check_location(category: dict[str, Any] | None, report_type: str, channel: str,
                   location: dict[str, Any] | None) -> None:
    """422 `location_required` when the type asks for a place and none was given (an address
    alone counts on the channels without a map: the desk does not geocode); 422
    `location_point_required` when a resident's form sends an address without the point for a
    type that needs its place (where the place is optional, an address alone is kept)."""
    required = needs(category, report_type).get("location") == REQUIRED
    if location and required and channel in FORM_CHANNELS \
            and (location.get("lat") is None or location.get("lon") is None):
        raise Invalid("location_point_required",
                      "Pick the place on the map: the location needs lat and lon.",
                      {"field": "location"})
    if required and not location:
        raise Invalid("location_required", "This report needs a location.",
                      {"type": report_type, "field": "location"})


def has_point(report: dict[str, Any]) -> bool:
    """Whether the report has coordinates (a staff channel may give an address only, some
    types no location at all)."""
    location = report.get("location") or {}
    return location.get("lat") is not None and location.get("lon") is not None


def point_of(report: dict[str, Any]) -> tuple[float, float] | None:
    return (report["location"]["lat"], report["location"]["lon"]) if has_point(report) \
        else None


def has_resolution_target(category: dict[str, Any] | None, report_type: str) -> bool:
    """An aspiration is considered, not repaired: it has no resolution target unless the
    category sets one for it; the other types always have one."""
    entry = category_types(category).get(report_type) or {}
    return report_type != ASPIRATION or entry.get("resolution_days") is not None


def type_resolution_days(category: dict[str, Any] | None, report_type: str) -> int | None:
    """The working days a report of this type has to be resolved when they differ from the
    category's `sla.resolution_days` (or the setting): the category's own figure for the type,
    an information request's 10 days (KIP); None: the category's target holds (a complaint)."""
    entry = category_types(category).get(report_type) or {}
    if entry.get("resolution_days") is not None:
        return int(entry["resolution_days"])
    return INFORMATION_REQUEST_DAYS if report_type == INFORMATION_REQUEST else None


def sla_category(category: dict[str, Any] | None, report_type: str
                 ) -> dict[str, Any] | None:
    """The category as the resolution clock reads it for a report of this type: its
    `sla.resolution_days` replaced by the type's own (`type_resolution_days`)."""
    days = type_resolution_days(category, report_type)
    if days is None:
        return category
    base = dict(category or {})
    return {**base, "sla": {**(base.get("sla") or {}), "resolution_days": days}}


def needs_public_response(report: dict[str, Any]) -> bool:
    """An information request is resolved by its answer: the agency must write it."""
    return type_of(report) == INFORMATION_REQUEST


def needs_evidence(report: dict[str, Any]) -> bool:
    """Whether resolving needs an evidence photo: a complaint's repair is shown; an answer
    or a considered suggestion is not photographed."""
    return type_of(report) == COMPLAINT
