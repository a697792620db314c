"""An agency taken off a report (re-routed elsewhere, the report marked a duplicate, or handed
back by the agency itself) keeps trying to read it and comment on it: from that moment every
door is shut, with the error each door already gives for a report that is not yours."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from attackers import file_report, settle
from photo_factory import fresh_padang_photo
from staff_accounts import Staff, make_staff
from workflow_client import act

pytestmark = pytest.mark.stack


def _forwarded_to_dlh(api: str) -> dict[str, Any]:
    receipt = file_report(api, fresh_padang_photo(), category="waste")
    settle(api, receipt, {"forwarded"})
    return receipt


def _doors(api: str, staff: Staff, code: str) -> dict[str, int]:
    """The status of every way an agency reads or writes a report."""
    headers = staff.headers
    listed = requests.get(f"{api}/staff/reports", params={"code": code}, headers=headers,
                          timeout=10).json()["items"]
    inbox = requests.get(f"{api}/inbox", headers=headers, timeout=10).json()["reports"]
    return {
        "read": requests.get(f"{api}/staff/reports/{code}", headers=headers,
                             timeout=10).status_code,
        "workflow": requests.get(f"{api}/reports/{code}/workflow", headers=headers,
                                 timeout=10).status_code,
        "comment": requests.post(f"{api}/reports/{code}/comments", json={"text": "Masih kami?"},
                                 headers=headers, timeout=10).status_code,
        "listed": int(any(r["code"] == code for r in listed)),
        "inbox": int(any(r["code"] == code for r in inbox)),
    }


OPEN = {"read": 200, "workflow": 200, "comment": 201, "listed": 1, "inbox": 1}
# "Not yours" is "no such report" (404), as for any agency the report never had; a comment is
# refused with 403 not_allowed where the report is public (anyone may know it exists), 404
# where it is not (e.g. a duplicate).
SHUT = {"read": {404}, "workflow": {404}, "comment": {403, 404}, "listed": {0}, "inbox": {0}}


def _shut(doors: dict[str, int]) -> bool:
    return all(doors[name] in answers for name, answers in SHUT.items())


@pytest.fixture(scope="module")
def dlh(db, api) -> Staff:
    return make_staff(db, api, "agency_admin", agency="DLH")


def test_agency_rerouted_away_keeps_reading_and_commenting_is_refused(api, db, operator, dlh):
    code = _forwarded_to_dlh(api)["code"]
    assert _doors(api, dlh, code) == OPEN
    rerouted = act(api, code, "reroute", operator.headers, {"agencies": ["PUPR"],
                                                    "note": "Ini urusan drainase"})
    assert rerouted.status_code == 200, rerouted.text
    assert _shut(doors := _doors(api, dlh, code)), doors
    pupr = make_staff(db, api, "agency_admin", agency="PUPR")
    assert _doors(api, pupr, code) == OPEN


def test_agency_whose_report_is_marked_duplicate_keeps_reading_it_is_refused(
        api, operator, dlh):
    original = _forwarded_to_dlh(api)["code"]
    copy = _forwarded_to_dlh(api)["code"]
    assert _doors(api, dlh, copy) == OPEN
    marked = act(api, copy, "duplicate", operator.headers, {"of": original})
    assert marked.status_code == 200, marked.text
    assert _shut(doors := _doors(api, dlh, copy)), doors
    assert _doors(api, dlh, original) == OPEN


def test_agency_that_handed_a_report_back_keeps_reading_it_is_refused(api, dlh):
    code = _forwarded_to_dlh(api)["code"]
    handed = act(api, code, "hand_back", dlh.headers, {"note": "Bukan kewenangan kami"})
    assert handed.status_code == 200, handed.text
    assert _shut(doors := _doors(api, dlh, code)), doors
