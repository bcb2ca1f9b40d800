"""A batch's timeline: its steps and its charges in one order, with the credits of each step.

Charges come from the ledger (one entry per charged chunk part, written in the transaction that
moved the credits), so the credits of a timeline always add up to the batch's ``credits_spent``.
Consecutive charges between two steps are one ``charged`` step (rows, parts, credits, from, until).
"""

from __future__ import annotations

from typing import Any

_HIDDEN = frozenset({"batch_id", "event_id", "tenant_id", "step", "at"})


def _charged(at: str) -> dict[str, Any]:
    return {"step": "charged", "at": at, "until": at, "rows": 0, "parts": 0, "credits": 0}


def timeline_steps(events: list[dict[str, Any]], charges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps oldest first; each has ``credits`` (charged by it) and ``credits_spent`` (so far).

    At the same instant a charge sorts before a step: a settlement that paused a batch charged
    the rows it could pay for, then the batch paused.
    """
    ordered = sorted([(str(c["created_at"]), 0, c) for c in charges]
                     + [(str(e["at"]), 1, e) for e in events], key=lambda item: item[:2])
    steps: list[dict[str, Any]] = []
    spent = 0
    run: dict[str, Any] | None = None
    for at, is_step, item in ordered:
        if is_step:
            run = None
            details = {key: value for key, value in item.items() if key not in _HIDDEN}
            steps.append({"step": item["step"], "at": at, **details, "credits": 0, "credits_spent": spent})
            continue
        if run is None:
            run = _charged(at)
            steps.append(run)
        cost = -int(item["credits"])
        spent += cost
        run.update(until=at, rows=run["rows"] + int(item.get("rows", 0)), parts=run["parts"] + 1,
                   credits=run["credits"] + cost, credits_spent=spent)
    return steps
