"""Parts worked side by side take turns at starting rows, per pipeline (one batch's sources)."""

from __future__ import annotations

import threading

from chalicelib.domain.enrich.start_order import StartOrder


def _waits(turn_wait: threading.Thread) -> bool:
    turn_wait.start()
    turn_wait.join(timeout=0.2)
    return turn_wait.is_alive()


def test_a_part_starts_its_rows_once_the_part_queued_before_it_started_all_of_its_own() -> None:
    order = StartOrder()
    first, second = order.queue(), order.queue()
    first.wait()  # the first in line never waits

    waiting = threading.Thread(target=second.wait)
    assert _waits(waiting)  # still the first part's turn
    first.done()
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    first.done()  # said twice: harmless


def test_parts_of_another_pipeline_do_not_wait() -> None:
    one, other = StartOrder(), StartOrder()
    one.queue()  # a part of one batch still starting its rows
    elsewhere = threading.Thread(target=other.queue().wait)
    assert not _waits(elsewhere)


def test_a_part_that_gives_up_its_turn_before_it_came_lets_the_next_one_go() -> None:
    order = StartOrder()
    first, second, third = order.queue(), order.queue(), order.queue()
    second.done()  # e.g. it failed before its rows started
    first.done()
    waiting = threading.Thread(target=third.wait)
    assert not _waits(waiting)
