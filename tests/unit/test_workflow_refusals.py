"""Every workflow action refused in every status it may not start from, over the routing
service's workflow layer (services/routing/actions.py) with fakes: nothing written, published or
stored. tests/integration/test_workflow_rules_enforced.py proves the same through the gateway
for every status a report can be brought to there; this covers the rest too: the statuses a
report only passes through (`submitted`, `verifying`), and agency actions on a report that no
agency would hold in that status (DLH holds it here anyway, so that what refuses is the state
machine, not the agency's access)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from routing_world import assignment, place, seeded_db, stored, workflow

from aduan.domain.errors import Conflict
from aduan.domain.lifecycle import ACTIONS, AGENCY, STATUSES, Actor
from aduan.domain.photo_checks import PhotoMetadata
from aduan.infra.images import Rendition
from services.routing.actions import Request
from services.routing.evidence import Evidence

# A photo without metadata: what the evidence checks read does not matter here.
NO_EXIF = PhotoMetadata(False, None, None, None, None, None, None, None, None)

OPERATOR = Actor(kind="staff", id="op-1", role="operator")
ADMIN = Actor(kind="staff", id="a-1", role="agency_admin", agency="DLH")
REPORTER = Actor(kind="reporter", id=None, role="reporter")
# The assignment DLH holds in each report status, so that agency actions meet a plausible report.
SUB_STATUS = {"forwarded": "forwarded", "accepted": "accepted", "in_progress": "in_progress",
              "resolved": "resolved", "reopened": "accepted", "closed": "resolved"}
WEEK_AHEAD = (datetime.now(UTC) + timedelta(days=7)).date()
SENT = {
    "verify": Request(), "reject": Request(note="n"),
    "postpone": Request(note="n", until=WEEK_AHEAD), "escalate": Request(note="n"),
    "forward": Request(agencies=("DLH",)), "reroute": Request(agencies=("PUPR",), note="n"),
    "duplicate": Request(), "archive": Request(note="n"), "accept": Request(),
    "start": Request(), "resolve": Request(note="n"), "hand_back": Request(note="n"),
    "confirm": Request(), "reopen": Request(note="n"),
}
CASES = [(action, status) for action in [*SENT, "rate"] for status in STATUSES
         if status not in ACTIONS[action].starts]


@pytest.fixture(scope="module")
def flow():
    return workflow(seeded_db())


@pytest.mark.parametrize("action, status", CASES)
def test_an_action_from_a_status_it_may_not_start_from_is_refused(flow, action, status):
    report = place(flow.db, status, version=7,
                   agencies=[assignment("DLH", SUB_STATUS.get(status, "forwarded"))])
    before, published = stored(flow.db, report), len(flow.publisher.published)
    with pytest.raises(Conflict) as caught:
        if action == "rate":
            flow.rate(report, REPORTER, 4, None, None)
        else:
            actor = ADMIN if ACTIONS[action].by == AGENCY else (
                REPORTER if action in ("confirm", "reopen") else OPERATOR)
            sent = SENT[action]
            if action == "duplicate":
                sent = Request(of=place(flow.db, "verified")["code"])
            evidence = [Evidence("e1", Rendition(b"public", b"thumb", 10, 10, 0), NO_EXIF)] \
                if action == "resolve" else []
            flow.act(report, action, actor, sent, evidence, None)
    assert caught.value.code == "illegal_transition"
    details = caught.value.details or {}
    assert details["status"] == status and details["action"] == action
    assert stored(flow.db, report) == before  # nothing written
    assert len(flow.publisher.published) == published
    assert flow.store.keys(flow.store.public_bucket, f"padang/{report['_id']}/") == []


def test_a_resolved_report_is_not_reopened_once_its_window_has_closed(flow):
    # Through the gateway, a resolved report is reopened within its window
    # (tests/integration/test_workflow_journeys.py); once the window has passed, the running
    # sweep closes it within a second, so the refusal is proved here, where no sweep runs.
    late = place(flow.db, "resolved", agencies=[assignment("DLH", "resolved")],
                 auto_close_at=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(Conflict) as caught:
        flow.act(late, "reopen", REPORTER, Request(note="Masih ada"), [], None)
    assert caught.value.code == "reopen_window_closed"
    assert stored(flow.db, late)["status"] == "resolved"
