"""Finding 8: when the embedded emulator dies, ``run`` says so in one line and exits non-zero."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chalicelib.local.datagen import write_leads

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> dict[int, str]:
    """The child processes of ``pid``: their ids and command lines."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_text().replace("\0", " ")
        except (OSError, IndexError):
            continue
    return found


def _emulator_of(run: subprocess.Popen[str], deadline: float) -> int:
    """The emulator's process id, once the run has started its workers (the pipeline is live)."""
    while time.monotonic() < deadline:
        children = _children(run.pid)
        emulators = [pid for pid, line in children.items() if "emulator_server" in line]
        if emulators and any("chalicelib.local.workers" in line for line in children.values()):
            return emulators[0]
        time.sleep(0.1)
    raise AssertionError("the run never started its emulator and workers")


def test_a_killed_emulator_ends_the_run_with_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    source = write_leads(tmp_path / "leads.csv", 20_000)
    run = subprocess.Popen([sys.executable, "-m", "chalicelib.local", "run", str(source), "--quiet"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        emulator = _emulator_of(run, time.monotonic() + 120)
        time.sleep(1.0)  # let work get under way: pollers, workers and the watcher all talk to it
        os.kill(emulator, signal.SIGKILL)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()

    lines = [line for line in stderr.splitlines() if line.strip()]
    assert run.returncode == 4, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert len(lines) == 1, lines[:20]
    assert "emulator" in lines[0] and str(emulator) in lines[0] and "signal 9" in lines[0]
    assert not _children(run.pid)
