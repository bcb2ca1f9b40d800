"""Issue 11 #15: ``batch-enrich run`` on a file the API would refuse ends at once with the API's
message and a non-zero exit (a 0-byte and a header-only file used to hang for over 10 minutes)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("content", "said"), [
    (b"", "The file is empty"),
    (b"id,email,phone\r\n", "no data rows"),
    (b"\r\n\r\n", "The file is empty"),
    (b"PK\x03\x04\x14\x00", "Excel workbook"),
])
def test_run_refuses_what_the_api_refuses_and_ends(tmp_path: Path, content: bytes, said: str) -> None:
    source = tmp_path / "input.csv"
    source.write_bytes(content)
    started = time.monotonic()

    done = subprocess.run([sys.executable, "-m", "chalicelib.local", "run", str(source), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert done.returncode == 2, done.stderr
    assert said in done.stderr and "refused" in done.stderr
    assert time.monotonic() - started < 60
    assert not (tmp_path / "input.enriched.csv").exists()
