"""What leaders look at, through the gateway: the reporters' ratings per agency, category and
month, the channels, the city's own stage view and a head of agency's own figures, in
`GET /stats` and its CSV. Reports are brought where they are through the API
(`workflow_client.bring_to`) and rated by their reporters; the figures of the known fixture are
tests/integration/test_sla_sweep.py's, the rules tests/unit/test_stats.py's.

Other tests of the session leave reports in Padang too, so each figure is compared before and
after this test's own reports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from workflow_client import act, bearer, bring_to

pytestmark = pytest.mark.stack


def _stats(api: str, headers: dict[str, str], query: str = "") -> dict:
    response = requests.get(f"{api}/stats?{query}", headers=headers, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()


def _agency_ratings(stats: dict, agency: str) -> dict:
    found = [row for row in stats["ratings"]["by_agency"] if row["agency"] == agency]
    return found[0] if found else {"rated": 0, "rateable": 0,
                                   "distribution": {str(s): 0 for s in range(1, 6)}}


def test_ratings_channels_and_a_head_of_agency_s_figures(api, settings):
    leader = bearer(settings, "leader")
    head = bearer(settings, "agency_head", agency="DLH")
    before = _stats(api, leader)
    # "waste" is routed to DLH: three reports resolved by DLH, two of them rated; one came in
    # through the website.
    rated_five = bring_to(api, settings, "closed", channel="web")
    rated_two = bring_to(api, settings, "closed")
    bring_to(api, settings, "resolved")  # could be rated, is not (yet)
    for report, score in ((rated_five, 5), (rated_two, 2)):
        done = act(api, report["code"], "rate", {"X-Reporter-Token": report["token"]},
                   {"score": score, "comment": "Terima kasih"})
        assert done.status_code == 200, done.text
    after = _stats(api, leader)

    was, now = _agency_ratings(before, "DLH"), _agency_ratings(after, "DLH")
    assert now["rated"] - was["rated"] == 2
    assert now["rateable"] - was["rateable"] == 3
    assert now["distribution"]["5"] - was["distribution"]["5"] == 1
    assert now["distribution"]["2"] - was["distribution"]["2"] == 1
    assert after["ratings"]["overall"]["rated"] - before["ratings"]["overall"]["rated"] == 2
    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
    assert any(row["agency"] == "DLH" and row["category"] == "waste" and row["month"] == month
               and row["rated"] >= 2 for row in after["ratings"]["rows"])
    assert after["by_channel"].get("web", 0) - before["by_channel"].get("web", 0) == 1
    # Padang shows Kiniko's four stages (aduan/data/cities.json).
    assert after["stage_view"]["name"] == "kiniko"
    assert after["by_stage"]["city"] == after["by_stage"]["kiniko"]
    assert after["by_stage"]["city"]["done"] - before["by_stage"]["city"]["done"] == 3
    assert {"time_to_follow_up", "time_to_resolve"} <= set(
        next(a for a in after["agencies"] if a["agency"] == "DLH"))
    assert "officers" in after

    # The ratings table in CSV: one row per agency, category and month.
    response = requests.get(f"{api}/stats.csv?table=ratings", headers=leader, timeout=20)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    dlh = [r for r in rows if (r["agency"], r["category"], r["month"]) == ("DLH", "waste",
                                                                           month)]
    assert len(dlh) == 1 and int(dlh[0]["rated"]) >= 2 and dlh[0]["score_5"] != "0"

    # The head of DLH sees DLH's figures only: every report counted was given to DLH.
    own = _stats(api, head)
    assert own["agency"] == "DLH"
    assert own["total"] == own["by_agency"]["DLH"] == after["by_agency"]["DLH"]
    assert set(own["by_agency"]) == {"DLH"}
    assert [a["agency"] for a in own["agencies"]] == ["DLH"]
    assert {row["agency"] for row in own["ratings"]["rows"]} <= {"DLH"}
    assert _agency_ratings(own, "DLH")["rated"] == now["rated"]
    head_csv = requests.get(f"{api}/stats.csv?table=agencies", headers=head, timeout=20)
    assert head_csv.status_code == 200
    assert 'filename="aduan-padang-DLH-agencies-' in head_csv.headers["Content-Disposition"]
    assert [line.split(",")[0] for line in head_csv.text.splitlines()[1:]] == ["DLH"]
    # Another agency's head does not see these reports.
    other = _stats(api, bearer(settings, "agency_head", agency="DISHUB"))
    assert other["agency"] == "DISHUB" and "DLH" not in other["by_agency"]


def test_the_stage_view_follows_the_city(api, settings):
    depok = _stats(api, bearer(settings, "leader", city="depok"))
    assert depok["stage_view"] == {"name": "sigap", "stages": ["verified", "in_process",
                                                               "done"]}
    assert set(depok["by_stage"]["city"]) == {"verified", "in_process", "done", "none"}
    refused = requests.get(f"{api}/stats", timeout=10,
                           headers=bearer(settings, "agency_admin", agency="DLH"))
    assert refused.status_code == 403
