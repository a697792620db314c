from datetime import UTC, datetime, timedelta

import stats_fixture as fx

from aduan.domain.figures import Statistician, percentile
from aduan.domain.stages import KINIKO
from aduan.infra.calendar import WorkCalendar
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines
from aduan.infra.stage_views import city_stage_view
from services.routing.stats import agencies_csv, counts_csv, officers_csv, ratings_csv

H = timedelta(hours=1)


def statistician(view=None) -> Statistician:
    return Statistician(Deadlines(Settings(), WorkCalendar()), fx.CATEGORIES, "Asia/Makassar",
                        view or city_stage_view(fx.CITY))


def figures(period: str = "week", agency: str | None = None,
            reports: list[dict] | None = None) -> dict:
    return statistician().compute(fx.reports() if reports is None else reports, fx.NOW,
                                  period, agency)


def test_counts_on_the_known_fixture():
    result = figures()
    for key, expected in fx.EXPECTED_COUNTS.items():
        assert result[key] == expected, key
    assert result["by_period"] == fx.EXPECTED_WEEKS
    assert figures("month")["by_period"] == {"2025-02": 4}
    assert figures("day")["by_period"] == {"2025-02-03": 1, "2025-02-04": 1, "2025-02-20": 1,
                                           "2025-02-27": 1}


def test_times_per_agency_and_sla_compliance_on_the_known_fixture():
    result = figures()
    assert result["agencies"] == fx.EXPECTED_AGENCIES
    assert result["sla"] == fx.EXPECTED_SLA


def test_a_deadline_still_running_becomes_missed_once_passed():
    later = statistician().compute(fx.reports(), datetime(2025, 3, 10, tzinfo=UTC), "week")
    assert later["sla"]["forward"] == {"met": 1, "missed": 2, "pending": 0,
                                       "compliance_pct": 33.3}


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.9) == 9.0
    assert percentile([*values, 11.0], 0.9) == 10.0
    assert percentile([5.0], 0.9) == 5.0


def test_csv_exports():
    result = figures()
    rows = agencies_csv(result).splitlines()
    assert rows[0].startswith("agency,reports,time_to_forward_median_h")
    assert rows[1] == "DLH,2,74.0,146.0,4.0,4.0,4.0,4.0,24.0,24.0,1,1,0,50.0"
    assert rows[2] == "SATPOLPP,1,146.0,146.0,2.0,2.0,,,,,0,1,0,0.0"
    counts = counts_csv(result).splitlines()
    assert "stage_kiniko,done,1" in counts
    assert "stage_city,not_followed_up,1" in counts
    assert "channel,call_centre,1" in counts
    assert "type,complaint,4" in counts and "type,aspiration,0" in counts
    assert "period,2025-W06,2" in counts
    assert officers_csv(result).splitlines() == [
        "agency,officer,name,assignments,visited,resolved,time_to_first_visit_median_h,"
        "time_to_first_visit_p90_h,time_to_resolve_median_h,time_to_resolve_p90_h",
        "DLH,officer-1,Budi,1,1,1,2.0,2.0,18.0,18.0"]
    assert ratings_csv(result).splitlines() == [
        "agency,category,month,rated,rateable,share_rated_pct,average,score_1,score_2,"
        "score_3,score_4,score_5",
        "DLH,waste,2025-02,1,1,100.0,4.0,0,0,0,1,0"]


def test_officers_and_ratings_on_the_known_fixture():
    result = figures()
    assert result["officers"] == fx.EXPECTED_OFFICERS
    assert result["ratings"]["overall"] == fx.EXPECTED_RATINGS_OVERALL
    assert [row["agency"] for row in result["ratings"]["by_agency"]] == ["DLH"]


def test_the_counts_by_stage_follow_the_city_s_own_view():
    # Kotamobagu shows SP4N-LAPOR!'s stages (aduan/data/cities.json).
    assert figures()["stage_view"] == {
        "name": "lapor", "stages": ["not_verified", "not_followed_up", "in_process", "done"]}
    kiniko = statistician(KINIKO).compute(fx.reports(), fx.NOW, "week")
    assert kiniko["stage_view"]["name"] == "kiniko"
    assert kiniko["by_stage"]["city"] == kiniko["by_stage"]["kiniko"]


def _rated(key: str, agency: str, category: str, score: int | None, month: int,
           status: str = "closed", own: str = "resolved") -> dict:
    created = datetime(2025, month, 10, 2, tzinfo=UTC)
    report = {"_id": key, "city": fx.CITY, "category": category, "channel": "app",
              "status": status, "created_at": created,
              "history": [{"at": created, "from": None, "to": "submitted"}],
              "agencies": [{"code": agency, "status": own}]}
    if score is not None:
        report["rating"] = {"score": score, "comment": None, "at": created + timedelta(days=3)}
    return report


def test_ratings_per_agency_category_and_month():
    reports = [
        _rated("r1", "DLH", "waste", 5, 1), _rated("r2", "DLH", "waste", 3, 1),
        _rated("r3", "DLH", "waste", None, 1),                        # could be, not rated
        _rated("r4", "DLH", "road", 1, 2), _rated("r5", "PUPR", "road", 4, 2),
        _rated("r6", "PUPR", "road", None, 2, status="in_progress", own="in_progress"),  # not yet
        _rated("r7", "PUPR", "road", 2, 2, status="reopened", own="accepted"),  # rated, reopened
    ]
    ratings = figures("month", reports=reports)["ratings"]
    assert ratings["overall"] == {"rated": 5, "rateable": 6, "share_rated_pct": 83.3,
                                  "average": 3.0, "distribution": {"1": 1, "2": 1, "3": 1,
                                                                   "4": 1, "5": 1}}
    by_agency = {row["agency"]: row for row in ratings["by_agency"]}
    assert by_agency["DLH"]["rated"] == 3 and by_agency["DLH"]["rateable"] == 4
    assert by_agency["DLH"]["average"] == 3.0 and by_agency["DLH"]["share_rated_pct"] == 75.0
    assert by_agency["PUPR"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert {row["month"]: row["rated"] for row in ratings["by_month"]} == {"2025-01": 2,
                                                                           "2025-02": 3}
    assert {row["category"]: row["average"] for row in ratings["by_category"]} == {
        "road": 2.33, "waste": 4.0}
    assert ratings["rows"][0] == {"agency": "DLH", "category": "road", "month": "2025-02",
                                  "rated": 1, "rateable": 1, "share_rated_pct": 100.0,
                                  "average": 1.0, "distribution": {"1": 1, "2": 0, "3": 0,
                                                                   "4": 0, "5": 0}}


def test_nothing_rateable_gives_no_average_and_no_share():
    ratings = figures(reports=[_rated("r", "DLH", "waste", None, 1, status="forwarded",
                                      own="forwarded")])["ratings"]
    assert ratings["overall"]["average"] is None
    assert ratings["overall"]["share_rated_pct"] is None
    assert ratings["rows"] == []


def test_a_head_of_agency_gets_its_agency_s_figures_only():
    result = figures(agency="SATPOLPP")
    assert result["agency"] == "SATPOLPP"
    assert result["total"] == 1  # B, the one report SATPOLPP was given
    assert result["by_agency"] == {"SATPOLPP": 1}
    assert [row["agency"] for row in result["agencies"]] == ["SATPOLPP"]
    assert result["officers"] == [] and result["ratings"]["rows"] == []
    assert result["sla"]["follow_up"] == {"met": 0, "missed": 1, "pending": 0,
                                          "compliance_pct": 0.0}
    dlh = figures(agency="DLH")
    assert dlh["total"] == 2 and [o["officer"] for o in dlh["officers"]] == ["officer-1"]
    assert dlh["ratings"]["overall"]["rated"] == 1


def test_officer_times_from_the_assignment_s_officers():
    start = datetime(2025, 2, 3, 1, tzinfo=UTC)
    officers = [
        {"id": "o1", "name": "Budi", "assigned_at": start, "first_visit_at": start + 3 * H,
         "resolved_at": start + 10 * H, "status": "resolved"},
        {"id": "o2", "name": "Sari", "assigned_at": start, "first_visit_at": start + H,
         "resolved_at": None, "status": "visited"},
        {"id": "o3", "name": "Tono", "assigned_at": start, "status": "assigned"},
    ]
    second = [{"id": "o1", "name": "Budi", "assigned_at": start,
               "first_visit_at": start + 5 * H, "resolved_at": start + 30 * H,
               "status": "resolved"}]
    reports = [{**_rated("x1", "DLH", "waste", None, 2), "agencies": [
                   {"code": "DLH", "status": "resolved", "officers": officers}]},
               {**_rated("x2", "DLH", "waste", None, 2), "agencies": [
                   {"code": "DLH", "status": "resolved", "officers": second}]}]
    rows = {row["officer"]: row for row in figures(reports=reports)["officers"]}
    assert rows["o1"]["assignments"] == 2 and rows["o1"]["resolved"] == 2
    assert rows["o1"]["time_to_first_visit"] == {"count": 2, "median_hours": 4.0,
                                                 "p90_hours": 5.0}
    assert rows["o1"]["time_to_resolve"] == {"count": 2, "median_hours": 20.0,
                                             "p90_hours": 30.0}
    assert rows["o2"]["visited"] == 1 and rows["o2"]["time_to_resolve"]["count"] == 0
    assert rows["o3"]["visited"] == 0 and rows["o3"]["time_to_first_visit"]["median_hours"] is None


def test_follow_up_ends_at_a_public_response_not_at_a_bare_acceptance():
    forwarded = datetime(2025, 2, 3, 2, tzinfo=UTC)  # Monday
    report = {"_id": "f", "city": fx.CITY, "category": "waste", "channel": "sms",
              "status": "accepted", "created_at": forwarded - H,
              "history": [
                  {"at": forwarded - H, "from": None, "to": "submitted"},
                  {"at": forwarded, "from": "verified", "to": "forwarded", "action": "route",
                   "agencies": ["DLH", "PUPR"]},
                  {"at": forwarded + H, "from": "forwarded", "to": "accepted",
                   "action": "accept", "agency": "DLH", "agency_to": "accepted"},
                  {"at": forwarded + 2 * H, "from": "accepted", "to": "accepted",
                   "action": "accept", "agency": "PUPR", "agency_to": "accepted",
                   "public_response": "Kami tangani."}],
              # DLH answered the reporter in a comment a day later.
              "agencies": [{"code": "DLH", "status": "accepted",
                            "responded_at": forwarded + 24 * H},
                           {"code": "PUPR", "status": "accepted"}]}
    result = figures(reports=[report])
    times = {row["agency"]: row for row in result["agencies"]}
    assert times["DLH"]["time_to_first_response"]["median_hours"] == 1.0
    assert times["DLH"]["time_to_follow_up"]["median_hours"] == 24.0
    assert times["PUPR"]["time_to_follow_up"]["median_hours"] == 2.0
    assert result["sla"]["follow_up"]["met"] == 2
    assert result["by_channel"] == {"sms": 1}


def _given_to_dlh(forwarded: datetime, *steps: dict, **fields) -> dict:
    return {"_id": "g", "city": fx.CITY, "category": "waste", "channel": "app",
            "created_at": forwarded - H,
            "history": [{"at": forwarded - H, "from": None, "to": "submitted"},
                        {"at": forwarded, "from": "verified", "to": "forwarded",
                         "action": "route", "agencies": ["DLH"]}, *steps], **fields}


def test_resolving_is_a_follow_up_and_a_reopening_starts_a_new_one():
    forwarded = datetime(2025, 2, 3, 2, tzinfo=UTC)  # Monday
    report = _given_to_dlh(
        forwarded,
        {"at": forwarded + 2 * H, "from": "forwarded", "to": "resolved", "action": "resolve",
         "agency": "DLH", "agency_to": "resolved"},
        {"at": forwarded + 24 * H, "from": "resolved", "to": "reopened", "action": "reopen",
         "agencies": ["DLH"]},
        {"at": forwarded + 26 * H, "from": "reopened", "to": "accepted", "action": "start",
         "agency": "DLH", "agency_to": "in_progress", "public_response": "Kami cek lagi."},
        status="in_progress",
        agencies=[{"code": "DLH", "status": "in_progress", "responded_at": forwarded + 26 * H}])
    result = figures(reports=[report])  # weeks after both deadlines
    assert result["sla"]["follow_up"] == {"met": 2, "missed": 0, "pending": 0,
                                          "compliance_pct": 100.0}
    dlh = {row["agency"]: row for row in result["agencies"]}["DLH"]
    assert dlh["time_to_follow_up"]["median_hours"] == 2.0


def test_an_agency_comment_answers_the_round_it_was_made_in():
    # DLH answered in a comment an hour after the forward, resolved ten days later, the
    # reporter reopened: the reopening cleared the assignment's `responded_at`, the comment
    # still tells when the first round was answered.
    forwarded = datetime(2025, 2, 3, 2, tzinfo=UTC)
    reopened = forwarded + 11 * 24 * H
    report = _given_to_dlh(
        forwarded,
        {"at": forwarded + 10 * 24 * H, "from": "forwarded", "to": "resolved",
         "action": "resolve", "agency": "DLH", "agency_to": "resolved"},
        {"at": reopened, "from": "resolved", "to": "reopened", "action": "reopen",
         "agencies": ["DLH"]},
        status="reopened",
        comments=[{"id": "c1", "at": forwarded + H, "by": "agency_admin", "author_id": "u1",
                   "agency": "DLH", "text": "Petugas kami menuju lokasi."},
                  {"id": "c2", "at": forwarded + 2 * H, "by": "reporter", "author_id": None,
                   "text": "Terima kasih."}],
        agencies=[{"code": "DLH", "status": "accepted", "responded_at": None}])
    result = statistician().compute([report], reopened + H, "week")
    assert result["sla"]["follow_up"] == {"met": 1, "missed": 0, "pending": 1,
                                          "compliance_pct": 100.0}
    dlh = {row["agency"]: row for row in result["agencies"]}["DLH"]
    assert dlh["time_to_follow_up"]["median_hours"] == 1.0
    assert dlh["time_to_first_response"]["median_hours"] == 240.0  # the resolve: an action


def test_the_figures_count_each_report_type_and_an_aspiration_is_no_time_to_resolve():
    forwarded = datetime(2025, 2, 3, 2, tzinfo=UTC)  # Monday
    resolved = {"at": forwarded + 5 * H, "from": "forwarded", "to": "resolved",
                "action": "resolve", "agency": "DLH", "agency_to": "resolved",
                "public_response": "Ditanggapi."}
    reports = [
        {**_given_to_dlh(forwarded, resolved, status="resolved"), "_id": "c"},  # no type
        {**_given_to_dlh(forwarded, resolved, status="resolved"), "_id": "a",
         "type": "aspiration"},
        {**_given_to_dlh(forwarded, status="forwarded"), "_id": "i",
         "type": "information_request"},
    ]
    result = figures(reports=reports)
    assert result["by_type"] == {"complaint": 1, "aspiration": 1, "information_request": 1}
    dlh = {row["agency"]: row for row in result["agencies"]}["DLH"]
    assert dlh["reports"] == 3
    assert dlh["by_type"] == {"complaint": 1, "aspiration": 1, "information_request": 1}
    assert dlh["time_to_resolve"]["count"] == 1  # the complaint's; the aspiration is apart
    assert dlh["time_to_follow_up"]["count"] == 2
