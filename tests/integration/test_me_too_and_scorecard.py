"""The public side on the real stack: the reports near a resident who is filing, following one
("me too": confirmed with the link of the one message that asks, then hearing of its steps by
email, the suite's mail sink) without ever reading the reporter, and the public scorecard,
which is the leaders' figures per agency with no report in it (confidential ones counted)."""

from __future__ import annotations

import random
import re
import uuid

import pytest
import requests
from notification_helpers import mails, text_of
from photo_factory import moved_north, photo_of_its_own, spot_of_its_own
from stack_client import REPORT, pipeline_settled, submit, wait_for_status
from staff_accounts import city_sysadmin, staff_through_api
from waiting import eventually

pytestmark = pytest.mark.stack


def _file(api: str, rng: random.Random, lat: float, lon: float, **changes) -> dict:
    """A "waste" report at the spot, forwarded by the rules; the receipt and the view."""
    response = submit(api, photo_of_its_own(rng, lat, lon),
                      {**REPORT, "location": {"lat": lat, "lon": lon}, **changes})
    assert response.status_code == 202, response.text
    receipt = response.json()
    view = wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    return {**receipt, "view": view}


def test_a_neighbour_follows_a_report_filed_nearby_and_hears_its_steps(api, stack, db):
    rng = random.Random()
    spot = spot_of_its_own(rng, "padang")
    public = _file(api, rng, *spot)
    secret = _file(api, rng, *moved_north(spot, 50), privacy="confidential")
    code = public["code"]

    here = moved_north(spot, 20)
    nearby = requests.get(f"{api}/reports/nearby", params={
        "category": "waste", "lat": here[0], "lon": here[1]}, timeout=10)
    assert nearby.status_code == 200, nearby.text
    [offered] = nearby.json()["items"]  # not the confidential one, 30 m away
    assert offered["code"] == code and 15 < offered["distance_m"] < 25
    assert "reporter" not in offered and "warga@" not in nearby.text
    other_category = requests.get(f"{api}/reports/nearby", params={
        "category": "road", "lat": here[0], "lon": here[1]}, timeout=10).json()["items"]
    assert code not in [r["code"] for r in other_category]

    neighbour = f"tetangga-{uuid.uuid4().hex[:8]}@example.id"
    stranger = f"orang-lain-{uuid.uuid4().hex[:8]}@example.id"  # signed up by someone else
    follow = requests.post(f"{api}/reports/{code}/followers",
                           json={"email": neighbour, "language": "en"}, timeout=10)
    assert follow.status_code == 202, follow.text
    for email in (neighbour.upper(), stranger):  # the same answer, whoever the address is
        again = requests.post(f"{api}/reports/{code}/followers",
                              json={"email": email, "language": "en"}, timeout=10)
        assert again.status_code == 202 and again.json() == follow.json()
    hidden = requests.post(f"{api}/reports/{secret['code']}/followers",
                           json={"email": neighbour}, timeout=10)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "report_not_found"
    bad = requests.post(f"{api}/reports/{code}/followers", json={"language": "en"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"

    # Each address is asked, once, to confirm; the neighbour opens the link of their mail (its
    # token, in the fragment, goes in a header), the stranger never does.
    confirm_subject = f"Confirm: follow report {code}?"
    [asked] = eventually(lambda: mails(stack.maildir, neighbour, confirm_subject), 60,
                         "the confirmation mail")
    eventually(lambda: mails(stack.maildir, stranger, confirm_subject), 60,
               "the stranger's confirmation mail")
    asking = text_of(asked)
    assert "warga@example.id" not in asking and REPORT["reporter"]["name"] not in asking
    [(link_code, pending, confirm_token)] = re.findall(
        r"#/follow/([^/\s]+)/([0-9a-f]{32})/(\S+)", asking)
    assert link_code == code
    wrong = requests.post(f"{api}/reports/{code}/followers/{pending}/confirm",
                          headers={"X-Follow-Token": confirm_token + "x"}, timeout=10)
    assert wrong.status_code == 404, wrong.text
    confirmed = requests.post(f"{api}/reports/{code}/followers/{pending}/confirm",
                              headers={"X-Follow-Token": confirm_token}, timeout=10)
    assert confirmed.status_code == 200, confirmed.text

    sysadmin = city_sysadmin(api, "padang")
    [agency] = public["view"]["agencies"]
    admin, _ = staff_through_api(api, sysadmin, "agency_admin", "padang", agency)
    accepted = requests.post(f"{api}/reports/{code}/actions/accept", json={},
                             headers=admin.headers, timeout=10)
    assert accepted.status_code == 200, accepted.text
    [told] = eventually(lambda: mails(stack.maildir, neighbour, f"Report you follow {code}"),
                        60, "the follower's mail")
    assert told["Subject"].startswith(f"Report you follow {code}: ")
    text = text_of(told)
    assert f"/#/track/{code}" in text and "/api/v1/" not in text
    assert "warga@example.id" not in text and REPORT["reporter"]["name"] not in text
    # Once only, however often they asked to follow; the unconfirmed stranger heard nothing of
    # the step the neighbour heard of (nor a second confirmation); the reporter hears as before.
    pipeline_settled(api, db)
    assert len(mails(stack.maildir, neighbour, f"Report you follow {code}")) == 1
    assert len(mails(stack.maildir, neighbour, confirm_subject)) == 1
    assert mails(stack.maildir, stranger, f"Report you follow {code}") == []
    assert len(mails(stack.maildir, stranger, confirm_subject)) == 1
    assert mails(stack.maildir, "warga@example.id", f"Laporan {code}")

    # The link in the mail stops them: its token (in the fragment) goes in a header.
    [(link_code, follower, token)] = re.findall(r"#/unfollow/([^/\s]+)/([0-9a-f]{32})/(\S+)",
                                                text)
    assert link_code == code
    stop = requests.delete(f"{api}/reports/{code}/followers/{follower}",
                           headers={"X-Unfollow-Token": token}, timeout=10)
    assert stop.status_code == 204, stop.text
    started = requests.post(f"{api}/reports/{code}/actions/start", json={},
                            headers=admin.headers, timeout=10)
    assert started.status_code == 200, started.text
    pipeline_settled(api, db)
    assert len(mails(stack.maildir, "warga@example.id", f"Laporan {code}")) >= 3
    assert len(mails(stack.maildir, neighbour, f"Report you follow {code}")) == 1


def test_the_public_scorecard_is_the_leaders_figures_with_no_report_in_it(api, db):
    rng = random.Random()
    spot = spot_of_its_own(rng, "padang")
    secret = _file(api, rng, *spot, privacy="confidential",
                   description="Rahasia: pungutan liar di TPS dekat rumah saya")
    pipeline_settled(api, db)
    card = requests.get(f"{api}/scorecard", params={"days": "90"}, timeout=30)
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["days"] == 90 and body["reports"] >= 1
    assert secret["code"] not in card.text and "pungutan" not in card.text
    sysadmin = city_sysadmin(api, "padang")
    leader, _ = staff_through_api(api, sysadmin, "leader", "padang")
    stats = requests.get(f"{api}/stats", params={"from": body["from"], "to": body["to"]},
                         headers=leader.headers, timeout=30).json()
    rows = {row["agency"]: row for row in body["agencies"]}
    assert body["reports"] == stats["total"]
    for figures in stats["agencies"]:
        row = rows[figures["agency"]]
        assert row["received"] == figures["reports"]
        assert row["received_by_type"] == figures["by_type"]
        assert row["median_follow_up_hours"] == figures["time_to_follow_up"]["median_hours"]
        assert row["median_resolution_hours"] == figures["time_to_resolve"]["median_hours"]
        assert row["within_sla_pct"] == figures["sla"]["compliance_pct"]
    assert rows["DLH"]["received"] >= 1 and rows["DLH"]["name_id"] == "Dinas Lingkungan Hidup"
    assert all(row["kind"] != "vertical" for row in body["agencies"])
    for query in ({"days": "7"}, {"days": "30", "agency": "DLH"}, {"city": "atlantis"}):
        refused = requests.get(f"{api}/scorecard", params=query, timeout=10)
        assert refused.status_code == 422, query
