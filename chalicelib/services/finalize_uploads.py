"""A one-invocation finalize's results files sent while its pass writes them.

Each of the four row files is written to local disk as before; once ``PART_BYTES`` more of it are
written, those bytes go as the next part of its multipart upload, on a thread, while the pass goes
on. After the pass each begun upload gets its last part (whatever is left, any size) and is
completed; a file that never reached a part (and summary.json) is sent whole at the end, as
before. Every part but the last is exactly ``PART_BYTES`` (over S3's 5 MB minimum): the objects
are the bytes of the files on disk, as one upload of each file after the pass made them. A pass
that fails (a row the recorded header lacks, an error) aborts the uploads it began.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from chalicelib.domain.models import Batch
from chalicelib.keys import results_key
from chalicelib.services.finalize_files import BUFFER, FILES
from chalicelib.services.ports import Ports

PART_BYTES = 8 * 1024 * 1024  # boto3's own part size (and the size it begins a multipart upload at)
_CONTENT_TYPES = dict(FILES)


class CountedText(io.TextIOWrapper):
    """A results file as UTF-8 text that counts the characters written to it (never more than
    its bytes: a cheap sign that a part's bytes are on their way, without asking the disk)."""

    written = 0

    def write(self, text: str) -> int:
        """Write ``text``, counting its characters."""
        self.written += len(text)
        return super().write(text)


def open_counted(path: Path) -> CountedText:
    """A results file to write, as ``finalize_files.open_text`` opens one, counting what it is sent."""
    return CountedText(path.open("wb", buffering=BUFFER), encoding="utf-8", newline="")


class StreamedUploads:
    """The results files of one batch, each sent in parts as it is written (``send_ready``), the
    rest after the pass (``finish``)."""

    def __init__(self, ports: Ports, batch: Batch, folder: Path, pool: ThreadPoolExecutor) -> None:
        self._ports = ports
        self._batch = batch
        self._folder = folder
        self._pool = pool
        self._uploads: dict[str, str] = {}  # file name -> its upload id, once begun
        self._sent: dict[str, int] = {}  # file name -> bytes sent as parts (or on their way)
        self._counted: dict[str, int] = {}  # file name -> characters written when it last sent
        self._pending: list[Future[None]] = []

    def send_ready(self, texts: dict[str, TextIO]) -> None:
        """Send each file's whole parts written since the last call (a flush only when one is)."""
        for name, text in texts.items():
            if not isinstance(text, CountedText) or text.written - self._counted.get(name, 0) < PART_BYTES:
                continue
            text.flush()
            self._counted[name] = text.written
            size = os.fstat(text.fileno()).st_size  # all it was sent, now on disk
            while size - self._sent.get(name, 0) >= PART_BYTES:
                self._send(name, PART_BYTES)

    def _send(self, name: str, size: int) -> None:
        """Send the file's next ``size`` bytes as its next part, on a thread."""
        if name not in self._uploads:
            self._uploads[name] = self._ports.blobs.start_upload(results_key(self._batch, name),
                                                                 _CONTENT_TYPES[name])
        start = self._sent.get(name, 0)
        self._sent[name] = start + size
        number = start // PART_BYTES + 1
        self._pending.append(self._pool.submit(self._part, name, number, start, size))

    def _part(self, name: str, number: int, start: int, size: int) -> None:
        piece = self._folder / f"{name}.part{number}"
        with (self._folder / name).open("rb") as whole, piece.open("wb") as out:
            whole.seek(start)
            while size > 0:  # a megabyte at a time: memory stays flat
                size -= out.write(whole.read(min(size, BUFFER)))
        self._ports.blobs.upload_part(results_key(self._batch, name), self._uploads[name], number, piece)
        piece.unlink()

    def finish(self) -> None:
        """After the pass (its files closed): every begun upload's last part and completion, every
        other file in one upload, side by side."""
        self._wait()
        for name, _ in FILES:
            size = (self._folder / name).stat().st_size
            if name in self._uploads and size > self._sent[name]:
                self._send(name, size - self._sent[name])
        self._wait()
        finished = [self._pool.submit(self._finish, name) for name, _ in FILES]
        for future in finished:
            future.result()

    def _finish(self, name: str) -> None:
        key = results_key(self._batch, name)
        if name in self._uploads:
            self._ports.blobs.finish_upload(key, self._uploads[name])
        else:
            self._ports.blobs.upload_file(key, self._folder / name, _CONTENT_TYPES[name])

    def abort(self) -> None:
        """Drop every upload begun (after the parts on their way): the pass failed."""
        for future in self._pending:
            future.cancel()
        for future in self._pending:
            if not future.cancelled():
                future.exception()  # waited for; its error is the pass's to report
        for name, upload in self._uploads.items():
            self._ports.blobs.abort_upload(results_key(self._batch, name), upload)
        self._uploads.clear()
        self._sent.clear()
        self._pending = []

    def _wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()
