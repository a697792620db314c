"""SP4N-LAPOR! off (the stack's default: no base URL, no city's token): the lapor-worker
unbinds its queue as it starts (services/lapor/binding.py), so report events never reach it;
test_lapor_export.py shows that, switched on, it binds it again and exports."""

from __future__ import annotations

import pytest
from lapor_double import LaporDouble
from lapor_helpers import TOKENS, lapor_connected, metric, restart_lapor_worker
from stack_client import pipeline_settled
from waiting import eventually

pytestmark = pytest.mark.stack


def test_with_no_city_connected_no_event_reaches_the_exporter(stack, settings, api, db):
    restart_lapor_worker(stack)  # as the stack's settings have it: off
    queue = f"{settings.namespace}.lapor"
    handled = metric(stack, "aduan_messages_handled_total", queue=queue)
    # A report filed, verified and forwarded, its news told: three events through the pipeline.
    pipeline_settled(api, db)
    assert metric(stack, "aduan_messages_handled_total", queue=queue) == handled

    # Switched on (a base URL and the cities' tokens), the restarted exporter takes them again.
    with LaporDouble(TOKENS) as server, lapor_connected(stack, server):
        pipeline_settled(api, db)
        eventually(lambda: metric(stack, "aduan_messages_handled_total", queue=queue)
                   >= handled + 3, 30, "the sentinel's three events taken by the exporter")
