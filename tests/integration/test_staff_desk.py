"""The staff intake desk's channels end to end (the console's #/desk posts what these tests post):
an operator files for a caller, a visitor or what the media carried, without a photo; the report
is marked `no_photo`, skips the photo checks and waits in the operators' review; the resident
hears the tracking code and their tracking link (the token in the URL fragment) by email or SMS
right away, and that link alone lets them read the report as its reporter."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import requests
from http_receiver import Receiver
from notification_helpers import mails, sms_through, text_of
from photo_factory import INSIDE
from stack_client import submit, wait_for_status
from staff_accounts import Staff, city_sysadmin, staff_through_api
from waiting import eventually

from aduan.infra.config import Settings

pytestmark = pytest.mark.stack

DESCRIPTION = "Sampah menumpuk di depan pasar sejak kemarin, bau sampai ke rumah warga"


@pytest.fixture(scope="module")
def operator(api: str) -> Staff:
    sysadmin = city_sysadmin(api, "padang")
    staff, _ = staff_through_api(api, sysadmin, "operator", "padang", name="Operator Loket")
    return staff


def desk_report(channel: str, reporter: dict[str, Any] | None,
                location: dict[str, Any] | None) -> dict[str, Any]:
    report: dict[str, Any] = {"city": "padang", "category": "waste", "channel": channel,
                              "type": "complaint", "description": DESCRIPTION}
    if location is not None:
        report["location"] = location
    if reporter is not None:
        report["reporter"] = reporter
    return report


def file_at_desk(api: str, operator: Staff, report: dict[str, Any]) -> dict[str, Any]:
    response = submit(api, None, report, headers=operator.headers)
    assert response.status_code == 202, response.text
    return response.json()


def link_in(text: str, settings: Settings, code: str) -> str:
    """The reporter's tracking link in a message: the console's page, the token after it."""
    found = re.search(re.escape(f"{settings.public_base_url}/#/track/{code}/") + r"[\w\-.~%]+",
                      text)
    assert found, f"no tracking link for {code} in: {text}"
    return found.group(0)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def reviewed_without_photo(api: str, operator: Staff, receipt: dict[str, Any]
                           ) -> dict[str, Any]:
    wait_for_status(api, receipt["code"], {"needs_review"}, token=receipt["token"])
    view = requests.get(f"{api}/staff/reports/{receipt['code']}", headers=operator.headers,
                        timeout=10).json()
    assert view["no_photo"] is True and view["photos"] == []
    assert view["verification"]["verdict"] == "needs_review"
    assert view["verification"]["reasons"] == ["no_photo"]
    return view


def test_every_staff_channel_files_without_a_photo_for_review_and_the_link_goes_by_email(
        api: str, settings: Settings, stack, operator: Staff):
    lat, lon = INSIDE["padang"]
    spot = {"lat": lat, "lon": lon}
    typed = {"address": "Jl. Pasar Raya No. 1, depan los ikan"}
    filed = {}
    for channel, location in [("call_centre", spot), ("walk_in", typed),
                              ("social_media", {**spot, **typed}), ("sp4n_lapor", typed)]:
        email = f"desk-{channel}-{uuid.uuid4().hex[:6]}@example.id"
        report = desk_report(channel, {"name": "Bu Rina", "email": email, "language": "id"},
                             location)
        filed[channel] = (file_at_desk(api, operator, report), email, location)
    # Media monitoring: nobody to tell, the article is the source.
    filed["media"] = (file_at_desk(api, operator, desk_report("media", None, typed)), None,
                      typed)

    for channel, (receipt, email, location) in filed.items():
        view = reviewed_without_photo(api, operator, receipt)
        assert view["channel"] == channel
        assert view["location"].get("address") == location.get("address")
        if "lat" not in location:  # typed by the desk: no coordinates, nothing made up
            assert view["location"].get("lat") is None
        assert receipt["tracking_url"] == f"{settings.public_base_url}/#/track/{receipt['code']}"
        if email is None:
            continue
        # Five reports filed at once: their mails may queue behind each other on a busy box.
        received = eventually(lambda r=receipt, e=email: mails(stack.maildir, e, r["code"]),
                              60, f"the receipt email of {channel}")
        # Each message to the reporter (received, then to review) carries their link.
        links = {link_in(text_of(m), settings, receipt["code"]) for m in received}
        [link] = links
        assert token_of(link) == receipt["token"]
        # The link alone (its fragment's token) opens the report as its reporter.
        mine = requests.get(f"{api}/reports/{receipt['code']}",
                            headers={"X-Reporter-Token": token_of(link)}, timeout=10).json()
        assert mine["reporter"]["email"] == email


@pytest.fixture()
def sms_provider(stack):
    provider = Receiver(reply=b'{"status": "queued", "message_id": "sms-desk"}').start()
    try:
        with sms_through(stack, provider):
            yield provider
    finally:
        provider.stop()


def test_a_caller_without_email_gets_the_code_and_link_by_sms(
        api: str, settings: Settings, operator: Staff, sms_provider: Receiver):
    report = desk_report("call_centre", {"phone": "0812-5555-0112", "language": "id"},
                         {"address": "Simpang Haru, dekat masjid"})
    receipt = file_at_desk(api, operator, report)
    reviewed_without_photo(api, operator, receipt)

    def texts_to_caller() -> list[str]:
        bodies = [json.loads(r.body) for r in sms_provider.received]
        return [b["message"] for b in bodies
                if b["msisdn"] == "+6281255550112" and receipt["code"] in b["message"]]

    first = eventually(texts_to_caller, what="an SMS to the caller")[0]
    link = link_in(first, settings, receipt["code"])
    assert token_of(link) == receipt["token"]


def test_only_city_staff_who_file_may_use_the_desk_channels(api: str, operator: Staff):
    lat, lon = INSIDE["padang"]
    report = desk_report("social_media", None, {"lat": lat, "lon": lon})
    anonymous = submit(api, None, report)
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["code"] == "channel_requires_staff"
    # Open311's channel (filed without a photo) is the Open311 endpoint's alone.
    named = submit(api, None, {**report, "channel": "open311"})
    assert named.status_code == 403
    assert named.json()["error"]["code"] == "channel_requires_open311"
    # A resident's own channel still needs its photo where the category asks for one.
    web = submit(api, None, {**report, "channel": "web"})
    assert web.status_code == 422 and web.json()["error"]["code"] == "photo_required"
    # Nor may it pass itself off as a failed Open311 fetch, even for staff.
    feigned = submit(api, None, {**report, "media_fetch_failed": "timeout"},
                     headers=operator.headers)
    assert feigned.status_code == 422
    assert feigned.json()["error"]["code"] == "media_fetch_failed_not_allowed"


def test_a_desk_report_goes_without_a_place_only_where_its_category_and_type_let_it(
        api: str, operator: Staff):
    # A complaint about a civil servant's conduct (SP4N-LAPOR!), an aspiration about waste.
    for category, kind in [("civil_servant", "complaint"), ("waste", "aspiration")]:
        report = {**desk_report("sp4n_lapor", None, None), "category": category, "type": kind}
        view = reviewed_without_photo(api, operator, file_at_desk(api, operator, report))
        assert (view["category"], view["type"], view["location"]) == (category, kind, None)
    # A complaint about waste needs its place, typed or picked, even at the desk.
    refused = submit(api, None, desk_report("call_centre", None, None), headers=operator.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "location_required"
