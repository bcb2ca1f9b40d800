"""A local worker loads its function's handler module while it waits for its first message, so
the first invocation of a batch does not pay the import (~0.3-0.5 s of CPU in the work
function) while its chunk waits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator
from chalicelib.local.provision import provision
from chalicelib.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


def test_a_work_worker_has_its_handler_loaded_before_it_polls(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN the declared queues in the emulator
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    provision(get_clients(), get_settings())
    seen = tmp_path / "seen.txt"
    # WHEN a work worker starts (both work queues, as the runtime starts it) and comes to its
    # first poll (recorded, then it ends)
    code = ("import sys\n"
            "from pathlib import Path\n"
            "import chalicelib.local.workers as workers\n"
            "def poll(mapping, stop):\n"
            f"    Path({str(seen)!r}).write_text(str('chalicelib.handlers.work_events' in sys.modules))\n"
            "workers.poll_until = poll\n"
            "workers.main(['work,work-advanced', '1'])\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.DEVNULL, env=dict(os.environ),
                   capture_output=True, text=True, check=True, timeout=120)
    # THEN the work function's handler module was loaded before it
    assert seen.read_text() == "True"
