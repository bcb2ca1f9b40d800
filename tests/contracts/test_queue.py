"""The Queue port: send, receive with a visibility timeout, delete by receipt, depth."""

from __future__ import annotations

from chalicelib import topology
from chalicelib.services.ports import Ports


def test_messages_are_received_hidden_and_deleted_by_receipt(ports: Ports) -> None:
    work = ports.queue_name(topology.WORK)
    ports.queue.send(work, [f"m{n}" for n in range(12)])

    assert ports.queue.depth(work) == 12
    first = ports.queue.receive(work, 600)
    second = ports.queue.receive(work, 600, most=5)
    assert len(first) == 10 and len(second) == 2
    assert ports.queue.depth(work) == 0
    ports.queue.delete(work, [m.receipt for m in first + second])

    assert sorted(m.body for m in first + second) == sorted(f"m{n}" for n in range(12))
    assert ports.queue.receive(work, 0) == []


def test_a_message_received_with_no_visibility_timeout_stays_there(ports: Ports) -> None:
    finalize = ports.queue_name(topology.FINALIZE)
    ports.queue.send(finalize, ["once"])

    peeked = ports.queue.receive(finalize, 0)
    again = ports.queue.receive(finalize, 600)
    ports.queue.delete(finalize, [peeked[0].receipt, again[0].receipt])

    assert [m.body for m in peeked] == [m.body for m in again] == ["once"]
    assert ports.queue.depth(finalize) == 0


def test_hide_keeps_received_messages_invisible_for_as_long_as_it_says(ports: Ports) -> None:
    work = ports.queue_name(topology.WORK)
    ports.queue.send(work, ["held", "let go"])
    held, let_go = sorted(ports.queue.receive(work, 600), key=lambda m: m.body)

    ports.queue.hide(work, [let_go.receipt], 0)  # a heartbeat's last word: visible now
    ports.queue.hide(work, [held.receipt], 600)

    assert [m.body for m in ports.queue.receive(work, 600)] == ["let go"]


def test_a_delayed_message_stays_out_of_sight_until_its_delay_passed(ports: Ports) -> None:
    deliver = ports.queue_name(topology.DELIVER)
    ports.queue.send(deliver, ["later"], delay_seconds=900)
    ports.queue.send(deliver, ["now"])

    assert [m.body for m in ports.queue.receive(deliver, 600)] == ["now"]
