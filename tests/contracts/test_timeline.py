"""The Timeline port on fake and adapter alike."""

from __future__ import annotations

from chalicelib.services.ports import Ports


def _event(batch_id: str, at: str, step: str, **details: object) -> dict[str, object]:
    return {"batch_id": batch_id, "event_id": f"{at}#{step}#0", "tenant_id": "t_1", "step": step,
            "at": at, **details}


def test_a_batch_s_steps_come_back_oldest_first_and_only_its_own(ports: Ports) -> None:
    ports.timeline.add(_event("b_1", "2026-01-01T00:00:02.000+00:00", "paused", balance=0, reason="balance"))
    ports.timeline.add(_event("b_1", "2026-01-01T00:00:01.000+00:00", "created", price=1))
    ports.timeline.add(_event("b_2", "2026-01-01T00:00:00.000+00:00", "created"))
    ports.timeline.add(_event("b_1", "2026-01-01T00:00:01.000+00:00", "created", price=2))  # replaced

    steps = ports.timeline.events("b_1")
    assert [(s["step"], s.get("price"), s.get("balance")) for s in steps] == [
        ("created", 2, None), ("paused", None, 0)]
    assert ports.timeline.events("b_3") == []

