"""The garbage collector's settings in a row-crunching function's sandbox (split, work, finalize).

CPython collects its youngest generation each time 700 more container objects are alive than
at the last collection. A chunk part keeps its rows alive while it works them (~10 containers
a row: the row's result, its values, outputs and found lists), so a 500-row part set off
several young collections, each moving the part's live rows a generation older, until the
oldest generation was collected in full: every object the sandbox had loaded since its start
walked again (phonenumbers' and tldextract's tables, the enrichers' memos; ~60-120 ms each,
five times in a 20,000-row batch: ~25 µs a row of the work function's CPU, all inside the
enrichers' stage). With the youngest threshold at 20,000, a part's live rows set off a
collection every few parts, fewer of them grow old before reference counting frees them as the
part ends, and the full collections become rare. Cyclic garbage waits for at most 20,000 more
live containers than before: a few megabytes at most.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
# CPython's own thresholds (3.11, 3.12): what a script that never tunes the collector runs with.
PYTHON_DEFAULTS = (700, 10, 10)


def settle_heap() -> None:
    """Keep what the function has loaded by now out of every collection (it lives as long as
    the sandbox), and collect the youngest generation after 20,000 new containers, not 700."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)

