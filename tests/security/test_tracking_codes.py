"""Item: tracking codes cannot be enumerated, and a report the public may not see is, to a
stranger, the same as a report that does not exist, on every endpoint that takes a code."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
import requests
from attackers import file_report, settle
from photo_factory import fresh_padang_photo

from aduan.domain.codes import ALPHABET, new_code, well_formed

pytestmark = pytest.mark.stack

NEW_CODE = re.compile(r"^PDG-20[0-9]{2}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$")


def _o311(api: str) -> str:
    return f"{api}/open311/v2"


def _answers(api: str, code: str) -> dict[str, Any]:
    """Everything a stranger can ask about a code, as (status, body without request id)."""
    o311, where = _o311(api), {"jurisdiction_id": "padang"}

    def seen(response: requests.Response) -> tuple[int, Any]:
        if response.headers.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            if isinstance(body, dict):
                body.pop("request_id", None)
            return response.status_code, body
        return response.status_code, response.text

    return {
        "view": seen(requests.get(f"{api}/reports/{code}", timeout=10)),
        "view_wrong_token": seen(requests.get(f"{api}/reports/{code}", timeout=10,
                                              headers={"X-Reporter-Token": "x" * 32})),
        "workflow": seen(requests.get(f"{api}/reports/{code}/workflow", timeout=10)),
        "confirm": seen(requests.post(f"{api}/reports/{code}/actions/confirm", json={},
                                      timeout=10)),
        "reopen_wrong_token": seen(requests.post(
            f"{api}/reports/{code}/actions/reopen", json={"note": "buka lagi"}, timeout=10,
            headers={"X-Reporter-Token": "x" * 32})),
        "comment": seen(requests.post(f"{api}/reports/{code}/comments", timeout=10,
                                      json={"text": "halo"})),
        "photo": seen(requests.get(f"{api}/reports/{code}/photos/1", timeout=10)),
        "thumbnail": seen(requests.get(f"{api}/reports/{code}/photos/1/thumbnail",
                                       timeout=10)),
        "open311_json": seen(requests.get(f"{o311}/requests/{code}.json", params=where,
                                          timeout=10)),
        "open311_xml": seen(requests.get(f"{o311}/requests/{code}.xml", params=where,
                                         timeout=10)),
        "open311_by_ids": seen(requests.get(f"{o311}/requests.json", timeout=10,
                                            params={**where, "service_request_id": code})),
    }


def test_stranger_enumerates_tracking_codes_and_finds_nothing(api):
    receipts = [file_report(api, fresh_padang_photo()) for _ in range(3)]
    codes = [r["code"] for r in receipts]
    assert all(NEW_CODE.match(code) and well_formed(code) for code in codes), codes
    # No sequence to walk: the random parts share nothing in order.
    assert len({code.split("-", 2)[2] for code in codes}) == 3
    assert len(ALPHABET) == 31 and not set("0O1IL") & set(ALPHABET)
    assert 9 * math.log2(len(ALPHABET)) >= 40
    for receipt in receipts:  # public once verified: the stranger would see these if found
        settle(api, receipt, {"forwarded"})

    # The stranger walks the old sequence, and the neighbours of a code they hold.
    known = codes[0]
    guesses = [f"PDG-2026-{n:06d}" for n in range(1, 101)]
    guesses += [known[:-1] + c for c in ALPHABET if known[:-1] + c != known]
    guesses += [new_code("PDG", int(known[4:8])) for _ in range(200)]
    guesses = [g for g in guesses if g not in codes]
    found = []
    for start in range(0, len(guesses), 100):  # Open311 takes 100 ids a call
        batch = ",".join(guesses[start:start + 100])
        rows = requests.get(f"{_o311(api)}/requests.json", timeout=10,
                            params={"jurisdiction_id": "padang", "service_request_id": batch})
        assert rows.status_code == 200, rows.text
        found += rows.json()
    assert found == []
    for guess in guesses[:40]:
        assert requests.get(f"{api}/reports/{guess}", timeout=10).status_code == 404
    # The same look-up finds a real public report: the guesses failed for want of a code.
    rows = requests.get(f"{_o311(api)}/requests.json", timeout=10,
                        params={"jurisdiction_id": "padang", "service_request_id": known})
    assert [r["service_request_id"] for r in rows.json()] == [known]


@pytest.mark.parametrize("kind", ["needs_review", "rejected", "postponed", "archived",
                                  "confidential"])
def test_stranger_with_a_leaked_code_cannot_tell_a_hidden_report_from_a_missing_one(
        api, hidden_reports, operator, kind):
    receipt = hidden_reports[kind]
    missing = new_code("PDG", int(receipt["code"][4:8]))
    hidden_answers = _answers(api, receipt["code"])
    missing_answers = _answers(api, missing)
    for endpoint, answer in hidden_answers.items():
        expected = missing_answers[endpoint]
        if isinstance(expected[1], str):  # Open311 XML, or a body that names the code
            expected = (expected[0], expected[1].replace(missing, receipt["code"]))
        assert answer == expected, endpoint
        assert "Rahasia" not in str(answer), endpoint
    assert hidden_answers["view"][0] == 404
    assert hidden_answers["open311_by_ids"] == (200, [])

    # The reporter with their token, and the city's operator, still see it.
    own = requests.get(f"{api}/reports/{receipt['code']}", timeout=10,
                       headers={"X-Reporter-Token": receipt["token"]})
    assert own.status_code == 200 and own.json()["description"].startswith("Rahasia")
    staff = requests.get(f"{api}/staff/reports/{receipt['code']}", headers=operator.headers,
                         timeout=10)
    assert staff.status_code == 200 and staff.json()["status"] in (kind, "forwarded")


def test_reporter_types_their_code_in_lower_case_and_still_finds_it(api):
    receipt = file_report(api, fresh_padang_photo())
    typed = f" {receipt['code'].lower()} "
    view = requests.get(f"{api}/reports/{typed}", timeout=10,
                        headers={"X-Reporter-Token": receipt["token"]})
    assert view.status_code == 200 and view.json()["code"] == receipt["code"]
