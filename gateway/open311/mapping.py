"""From Aduan to Open311 and back: jurisdictions, services, statuses, datetimes and the
request rows, made from the rows of intake's public list (what anyone may see of a report).
Pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aduan.domain import report_types
from aduan.domain.status_names import STATUS_EXPLANATIONS, STATUS_NAMES
from aduan.infra.catalogue import KECAMATAN, rule_agencies

LANGUAGES = ("id", "en")
# Statuses in which the city's part is over: Open311 "closed"; every other one is "open".
CLOSED_STATUSES = frozenset({"resolved", "closed", "referred", "rejected", "archived",
                             "duplicate"})
_MORE_NOTES = {
    "id": {"verifying": "Foto laporan sedang diperiksa.",
           "postponed": "Laporan ditunda oleh petugas.",
           "duplicate": "Laporan ini sama dengan laporan lain yang sudah ada."},
    "en": {"verifying": "The report's photo is being checked.",
           "postponed": "The report was postponed by an officer.",
           "duplicate": "This report duplicates an earlier one."},
}
_BY_KECAMATAN = {"id": "Kantor Camat sesuai lokasi", "en": "The district office of the location"}
_DESCRIPTION = {"id": "Laporan warga tentang {name}.", "en": "Residents' reports about {name}."}
# The report type, Open311's one attribute (`attribute[type]`); names as the console's.
TYPE_CODE = "type"
_TYPE_NAMES = {
    "id": {"complaint": "Pengaduan", "aspiration": "Aspirasi",
           "information_request": "Permintaan informasi"},
    "en": {"complaint": "Complaint", "aspiration": "Aspiration",
           "information_request": "Information request"},
}
_TYPE_QUESTION = {
    "id": "Jenis laporan: pengaduan (bawaan), aspirasi, atau permintaan informasi.",
    "en": "The kind of report: a complaint (the default), an aspiration or a request for "
          "information.",
}


def resolve_city(jurisdiction_id: str, cities: dict[str, dict[str, Any]]) -> str | None:
    """The city of a jurisdiction_id: its key (`padang`) or its Kemendagri code (`13.71`)."""
    for key, city in cities.items():
        if jurisdiction_id in (key, city.get("kemendagri_code")):
            return key
    return None


def local_iso(value: datetime | None, timezone: str) -> str | None:
    """ISO 8601 with the city's own offset (+07:00 WIB, +08:00 WITA), to the second."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def open_or_closed(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def statuses_for(wanted: set[str], public_statuses: tuple[str, ...]) -> list[str]:
    """The Aduan statuses an Open311 status filter (`open`, `closed` or both) stands for."""
    return sorted(s for s in public_statuses if open_or_closed(s) in wanted)


def status_note(status: str, language: str) -> str:
    for table in (STATUS_EXPLANATIONS, _MORE_NOTES, STATUS_NAMES):
        if status in table[language]:
            return table[language][status]
    return status


def _name(item: dict[str, Any], language: str) -> str:
    return item.get(f"name_{language}") or item.get("name_id") or item["code"]


def service_group(category: dict[str, Any], agencies: dict[str, dict[str, Any]],
                  language: str) -> str | None:
    """The agencies that handle a category, by name (the body it is referred to, if any)."""
    codes = [category["refer_to"]] if category.get("refer_to") else rule_agencies(category)
    names = [_BY_KECAMATAN[language] if code == KECAMATAN
             else _name(agencies.get(code, {"code": code}), language) for code in codes]
    return ", ".join(names) or None


def service(category: dict[str, Any], agencies: dict[str, dict[str, Any]],
            language: str) -> dict[str, Any]:
    name = _name(category, language)
    return {
        "service_code": category["code"],
        "service_name": name,
        "description": _DESCRIPTION[language].format(name=name),
        "metadata": True,  # the report type: see the service definition
        "type": "realtime",
        "keywords": category["code"].replace("_", " "),
        "group": service_group(category, agencies, language),
    }


def service_definition(category: dict[str, Any], language: str) -> dict[str, Any]:
    """The one attribute, `type`, with the types the category accepts; required when a
    complaint (the default) is not one of them."""
    accepted = [t for t in report_types.REPORT_TYPES
                if t in report_types.category_types(category)]
    return {"service_code": category["code"], "attributes": [{
        "variable": True,
        "code": TYPE_CODE,
        "datatype": "singlevaluelist",
        "required": report_types.DEFAULT_TYPE not in accepted,
        "datatype_description": None,
        "order": 1,
        "description": _TYPE_QUESTION[language],
        "values": [{"key": t, "name": _TYPE_NAMES[language][t]} for t in accepted],
    }]}


def _agency_name(code: str, agencies: dict[str, dict[str, Any]], language: str) -> str:
    known = agencies.get(code)
    return _name(known, language) if known else code


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def request_row(row: dict[str, Any], category: dict[str, Any] | None,
                agencies: dict[str, dict[str, Any]], timezone: str, language: str
                ) -> dict[str, Any]:
    """A row of intake's public list (`detail=full`) as Open311 shows it: the first published
    photo at its stable gateway address as `media_url`; the reporter is in no row; lat and
    long are null for a report without a point."""
    location = row.get("location") or {}  # none, or an address without a point, may be
    agencies_named = [_agency_name(code, agencies, language) for code in row.get("agencies", [])]
    photos = row.get("photos") or []
    return {
        "service_request_id": row["code"],
        "status": open_or_closed(row["status"]),
        "status_notes": status_note(row["status"], language),
        "service_name": _name(category, language) if category else row["category"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": ", ".join(agencies_named) or None,
        "service_notice": None,
        "requested_datetime": local_iso(_moment(row["created_at"]), timezone),
        "updated_datetime": local_iso(_moment(row["updated_at"]), timezone),
        "expected_datetime": local_iso(_moment(row.get("expected_at")), timezone),
        "address": location.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": photos[0]["url"] if photos else None,
    }
