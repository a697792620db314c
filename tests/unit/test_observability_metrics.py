"""Report stage durations and status counts: bounded agency labels, the right start time for
each stage, one observation per completed stage."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from aduan.domain.figures import stage_started_at
from aduan.infra import metrics
from aduan.infra.report_metrics import (
    NO_AGENCY,
    OTHER_AGENCY,
    agency_label,
    agency_labels,
    observe_transition,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _report(history: list[tuple[str, datetime]], agencies: list[str] | None = None) -> dict:
    return {
        "created_at": T0.replace(tzinfo=None),  # as MongoDB returns it to a naive client
        "history": [{"to": to, "at": at} for to, at in history],
        "agencies": [{"code": code} for code in agencies or []],
    }


def _stage_count(stage: str, agency: str) -> float:
    value = REGISTRY.get_sample_value(
        "aduan_report_stage_duration_seconds_count", {"stage": stage, "agency": agency})
    return value or 0.0


def _stage_sum(stage: str, agency: str) -> float:
    value = REGISTRY.get_sample_value(
        "aduan_report_stage_duration_seconds_sum", {"stage": stage, "agency": agency})
    return value or 0.0


def test_agency_labels_are_bounded_by_the_catalogue() -> None:
    assert agency_label("DLH") == "DLH"
    assert agency_label("PDAM-from-some-admin") == OTHER_AGENCY
    assert agency_label(None) == OTHER_AGENCY
    assert agency_labels({"agencies": [{"code": "PUPR"}, {"code": "x" * 500}]}) == [
        "PUPR", OTHER_AGENCY]
    assert agency_labels({}) == [NO_AGENCY]
    assert agency_labels({"agencies": None}) == [NO_AGENCY]


def test_stage_starts_at_the_latest_entry_into_its_start_status() -> None:
    report = _report([("forwarded", T0 + timedelta(hours=1)), ("verified", T0 + timedelta(hours=2)),
                      ("forwarded", T0 + timedelta(hours=3))])
    assert stage_started_at(report, None) == T0
    assert stage_started_at(report, "forwarded") == T0 + timedelta(hours=3)
    assert stage_started_at(report, "accepted") is None


def test_forwarding_observes_submit_to_forward_per_agency() -> None:
    before = _stage_count("submit_to_forward", "DINKES"), _stage_sum("submit_to_forward", "DINKES")
    transitions = REGISTRY.get_sample_value(
        "aduan_report_transitions_total", {"status": "forwarded", "agency": "DINKES"}) or 0.0
    now = T0 + timedelta(hours=5)
    updated = _report([("verifying", T0), ("verified", T0), ("forwarded", now)], ["DINKES"])
    observe_transition(updated, "forwarded", now)
    assert _stage_count("submit_to_forward", "DINKES") == before[0] + 1
    assert _stage_sum("submit_to_forward", "DINKES") == before[1] + 5 * 3600
    assert REGISTRY.get_sample_value(
        "aduan_report_transitions_total", {"status": "forwarded", "agency": "DINKES"}
    ) == transitions + 1


def test_accept_is_timed_from_the_last_forwarding_not_the_current_entry() -> None:
    before = _stage_count("forward_to_accept", "DISDIK"), _stage_sum("forward_to_accept", "DISDIK")
    forwarded = T0 + timedelta(days=1)
    now = forwarded + timedelta(days=2)
    # The history already ends with this transition (accepted at `now`).
    updated = _report([("forwarded", T0), ("verified", T0), ("forwarded", forwarded),
                       ("accepted", now)], ["DISDIK"])
    observe_transition(updated, "accepted", now)
    assert _stage_count("forward_to_accept", "DISDIK") == before[0] + 1
    assert _stage_sum("forward_to_accept", "DISDIK") == before[1] + 2 * 86400


def test_statuses_that_end_no_stage_are_only_counted() -> None:
    stages = ("submit_to_forward", "forward_to_accept", "accept_to_resolve")
    before = [_stage_count(stage, NO_AGENCY) for stage in stages]
    observe_transition(_report([("verifying", T0)]), "verifying", T0)
    observe_transition(_report([("rejected", T0)]), "rejected", T0)
    assert [_stage_count(stage, NO_AGENCY) for stage in stages] == before
    assert (REGISTRY.get_sample_value(
        "aduan_report_transitions_total", {"status": "rejected", "agency": NO_AGENCY}) or 0) >= 1


def test_a_stage_without_its_start_in_the_history_is_not_guessed() -> None:
    before = _stage_count("accept_to_resolve", "BKPSDM")
    observe_transition(_report([("resolved", T0)], ["BKPSDM"]), "resolved", T0)
    assert _stage_count("accept_to_resolve", "BKPSDM") == before


def test_sla_breaches_metric_is_defined_for_the_routing_service() -> None:
    before = REGISTRY.get_sample_value("aduan_sla_breaches_total", {"kind": "forward"}) or 0.0
    metrics.sla_breaches.labels("forward").inc()
    assert REGISTRY.get_sample_value("aduan_sla_breaches_total", {"kind": "forward"}) == before + 1


def test_an_empty_sample_file_left_by_a_killed_process_does_not_break_scrapes(tmp_path,
                                                                               monkeypatch):
    from aduan.infra import metrics

    (tmp_path / "counter_4242.db").write_bytes(b"")  # SIGKILLed right after creating it
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    payload, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    assert isinstance(payload, bytes)


_SETS_IN_HAND = ("import sys; from aduan.infra import metrics; "
                 "metrics.messages_in_hand.labels('q').set(int(sys.argv[1])); "
                 "print('set', flush=True); sys.stdin.read()")


def test_a_live_gauge_counts_the_running_processes_only(tmp_path, monkeypatch):
    """A worker killed while it held messages leaves its gauge file: its count must not stay
    in the service's total (monitoring, and the tests' wait for quiet consumers, read it)."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def holding(count: int) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-c", _SETS_IN_HAND, str(count)], env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline() == "set\n"
        return process

    running, killed = holding(2), holding(3)
    killed.kill()  # SIGKILL: no mark_process_dead
    killed.wait()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    try:
        assert (tmp_path / f"gauge_livesum_{killed.pid}.db").exists()
        payload, _ = metrics.render()
        assert 'aduan_messages_in_hand{queue="q"} 2.0' in payload.decode()
    finally:
        running.communicate("")
