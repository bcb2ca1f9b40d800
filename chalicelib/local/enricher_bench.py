"""``batch-enrich bench --enrichers``: the enrichers' cost per row, on the generated leads file and
on one that repeats values as real exports do, beside a lean loop of email and phone validation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chalicelib.domain.enrich import memo
from chalicelib.local.datagen import realistic_rows, write_leads, write_rows
from chalicelib.local.throughput import lean_loop_seconds, plain_loop_seconds


def per_row_costs(source: Path, rows: int, repeats: int) -> dict[str, Any]:
    """µs a row of the plain loop (every enricher) and of the lean loop, fastest of ``repeats``
    fresh loops each (a fresh loop builds its pipeline afresh: nothing carried between runs)."""
    plain = min(plain_loop_seconds(source) for _ in range(repeats))
    hits = memo.hit_rates()  # of the last loop: each memo started empty
    lean = min(lean_loop_seconds(source) for _ in range(repeats))
    return {"rows": rows, "plain_us_per_row": round(plain / rows * 1e6, 1),
            "lean_us_per_row": round(lean / rows * 1e6, 1), "plain_over_lean": round(plain / lean, 2),
            "memo_hit_rates": hits}


def run_enricher_costs(rows: int, folder: Path, repeats: int = 3) -> dict[str, Any]:
    """The per-row figures of both files, with the machine's load average."""
    generated = write_leads(folder / "generated.csv", rows)
    realistic = write_rows(folder / "realistic.csv", realistic_rows(rows))
    return {"load_average": list(os.getloadavg()),
            "generated": per_row_costs(generated, rows, repeats),
            "realistic": per_row_costs(realistic, rows, repeats)}
