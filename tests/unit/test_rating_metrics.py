"""The reporters' ratings as gauges for Grafana (aduan/infra/rating_metrics.py): the same
figures as the statistics API, bounded labels, read at most once per `ttl_s`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fakes import fake_db

from aduan.infra.rating_metrics import RatingsCollector


def _report(key: str, city: str, agency: str, status: str, score: int | None,
            days_ago: float = 1) -> dict:
    report = {"_id": key, "code": key, "city": city, "category": "waste", "status": status,
              "created_at": datetime.now(UTC) - timedelta(days=days_ago),
              "agencies": [{"code": agency, "status": "resolved"}], "history": []}
    if score is not None:
        report["rating"] = {"score": score, "comment": None, "at": datetime.now(UTC)}
    return report


def _samples(collector: RatingsCollector) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in collector.collect() for sample in family.samples}


def test_ratings_become_gauges_per_city_agency_and_score():
    db = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): reports as the pipeline and the
    # reporters' `rate` actions would have left them.
    db.reports.insert_many([
        _report("a", "depok", "DLH", "closed", 5), _report("b", "depok", "DLH", "closed", 3),
        _report("c", "depok", "DLH", "resolved", None),
        _report("d", "depok", "NOT-IN-CATALOGUE", "closed", 1),
        _report("e", "padang", "DLH", "closed", 4),
        _report("old", "depok", "DLH", "closed", 1, days_ago=45),  # outside the 30 days
    ])
    samples = _samples(RatingsCollector(db))

    def value(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    assert value("aduan_report_ratings", city="depok", agency="DLH", score="5") == 1
    assert value("aduan_report_ratings", city="depok", agency="DLH", score="3") == 1
    assert value("aduan_report_ratings", city="depok", agency="DLH", score="1") == 0
    assert value("aduan_report_rating_average", city="depok", agency="DLH") == 4.0
    # 2 rated of 3 that could be (the statistics API's 66.7 %).
    assert value("aduan_report_rating_share_rated", city="depok", agency="DLH") == 0.667
    # An agency code outside the catalogue is `other`: the labels stay bounded.
    assert value("aduan_report_ratings", city="depok", agency="other", score="1") == 1
    assert value("aduan_report_rating_average", city="padang", agency="DLH") == 4.0
    labels = {dict(key[1]).get("agency") for key in samples}
    assert "NOT-IN-CATALOGUE" not in labels


def test_the_database_is_read_at_most_once_per_ttl():
    db = fake_db()
    now = [0.0]
    collector = RatingsCollector(db, ttl_s=300, clock=lambda: now[0])
    assert _samples(collector) == {}
    # As above: a rated report the pipeline left.
    db.reports.insert_one(_report("a", "depok", "DLH", "closed", 5))
    now[0] = 100
    assert _samples(collector) == {}  # still the cached figures
    now[0] = 301
    assert any(v == 1 for v in _samples(collector).values())
