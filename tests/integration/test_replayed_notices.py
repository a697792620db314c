"""An event replayed from the parking queue is told from the report as it is now, not from the
copy it carried when it was first published (aduan/infra/report_snapshots.py `carried`): a
follower who left while it was parked hears nothing of it; the reporter hears it then."""

from __future__ import annotations

import random
import re
import uuid

import pytest
import requests
from notification_helpers import mails, text_of
from photo_factory import photo_of_its_own, spot_of_its_own
from stack_client import REPORT, pipeline_settled, submit, wait_for_status
from staff_accounts import city_sysadmin, make_staff, staff_through_api
from waiting import eventually

pytestmark = pytest.mark.stack


def _parked_of(api: str, headers: dict, report_id: str) -> list[dict]:
    response = requests.get(f"{api}/ops/queues/notification/parked", headers=headers,
                            timeout=10)
    assert response.status_code == 200, response.text
    return [m for m in response.json()["items"] if m["body"].get("report_id") == report_id]


def test_a_replayed_step_is_not_told_to_a_follower_who_left_while_it_was_parked(
        api, stack, db):
    rng = random.Random()
    lat, lon = spot_of_its_own(rng, "padang")
    response = submit(api, photo_of_its_own(rng, lat, lon),
                      {**REPORT, "location": {"lat": lat, "lon": lon}})
    assert response.status_code == 202, response.text
    receipt = response.json()
    code = receipt["code"]
    view = wait_for_status(api, code, {"forwarded"}, token=receipt["token"])

    neighbour = f"tetangga-{uuid.uuid4().hex[:8]}@example.id"
    follow = requests.post(f"{api}/reports/{code}/followers",
                           json={"email": neighbour, "language": "en"}, timeout=10)
    assert follow.status_code == 202, follow.text
    [asked] = eventually(lambda: mails(stack.maildir, neighbour, f"Confirm: follow report {code}?"),
                         60, "the confirmation mail")
    [(_, pending, confirm)] = re.findall(r"#/follow/([^/\s]+)/([0-9a-f]{32})/(\S+)",
                                         text_of(asked))
    confirmed = requests.post(f"{api}/reports/{code}/followers/{pending}/confirm",
                              headers={"X-Follow-Token": confirm}, timeout=10)
    assert confirmed.status_code == 200, confirmed.text

    sysadmin = city_sysadmin(api, "padang")
    [agency] = view["agencies"]
    admin, _ = staff_through_api(api, sysadmin, "agency_admin", "padang", agency)
    operator = make_staff(db, api, "operator").headers
    accepted = requests.post(f"{api}/reports/{code}/actions/accept", json={},
                             headers=admin.headers, timeout=10)
    assert accepted.status_code == 200, accepted.text
    [told] = eventually(lambda: mails(stack.maildir, neighbour, f"Report you follow {code}"),
                        60, "the follower's mail of the acceptance")
    [(_, follower, stop_token)] = re.findall(r"#/unfollow/([^/\s]+)/([0-9a-f]{32})/(\S+)",
                                             text_of(told))

    stack.stop_process("smtp")
    try:
        started = requests.post(f"{api}/reports/{code}/actions/start", json={},
                                headers=admin.headers, timeout=10)
        assert started.status_code == 200, started.text
        [parked] = eventually(lambda: [m for m in _parked_of(api, operator, receipt["id"])
                                       if m["body"].get("status") == "in_progress"], 60,
                              "the step's mails parked while SMTP is down", every_s=0.3)
        # While it waits, the neighbour stops following (the link of their mail).
        stop = requests.delete(f"{api}/reports/{code}/followers/{follower}",
                               headers={"X-Unfollow-Token": stop_token}, timeout=10)
        assert stop.status_code == 204, stop.text
    finally:
        stack.start_smtp()
        stack.wait_infrastructure()

    before = len(mails(stack.maildir, REPORT["reporter"]["email"], f"Laporan {code}"))
    replay = requests.post(f"{api}/ops/queues/notification/parked/replay", headers=operator,
                           json={"message_ids": [parked["message_id"]]}, timeout=10)
    assert replay.status_code == 200 and replay.json()["replayed"] == 1
    eventually(lambda: len(mails(stack.maildir, REPORT["reporter"]["email"],
                                 f"Laporan {code}")) > before, 60,
               "the reporter's mail of the replayed step")
    pipeline_settled(api, db)
    assert len(mails(stack.maildir, neighbour, f"Report you follow {code}")) == 1
