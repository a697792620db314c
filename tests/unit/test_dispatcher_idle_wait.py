"""The webhook dispatcher's wait between looks that find nothing (services/notification/
dispatcher.py idle_wait): the poll interval, doubled with each empty look, up to IDLE_FACTOR
times it."""

from __future__ import annotations

from services.notification.dispatcher import IDLE_FACTOR, idle_wait


def test_the_wait_doubles_with_each_empty_look_up_to_the_idle_factor():
    assert [idle_wait(n, 1.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert IDLE_FACTOR == 5
    assert idle_wait(10_000, 0.2) == 1.0  # no overflow after a long idle spell
