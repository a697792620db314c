import stats_fixture as fx

from aduan.domain.figures import Statistician, percentile
from aduan.infra.calendar import WorkCalendar
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines
from services.routing.stats import agencies_csv, counts_csv


def figures(period: str = "week") -> dict:
    statistician = Statistician(Deadlines(Settings(), WorkCalendar()), fx.CATEGORIES,
                                "Asia/Makassar")
    return statistician.compute(fx.reports(), fx.NOW, period)


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
    statistician = Statistician(Deadlines(Settings(), WorkCalendar()), fx.CATEGORIES,
                                "Asia/Makassar")
    from datetime import UTC, datetime
    later = statistician.compute(fx.reports(), datetime(2025, 3, 10, tzinfo=UTC), "week")
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
    assert rows[1] == "DLH,2,74.0,146.0,4.0,4.0,24.0,24.0,1,1,0,50.0"
    assert rows[2] == "SATPOLPP,1,146.0,146.0,2.0,2.0,,,1,0,0,100.0"
    counts = counts_csv(result).splitlines()
    assert "stage_kiniko,done,1" in counts
    assert "channel,call_centre,1" in counts
    assert "period,2025-W06,2" in counts
