"""Why a message keeps failing, noted where the tick finds it when it gives the message up.

A handler that fails a record notes the error under the record's subject (a split, a chunk
part, a finalize); the message goes back to its queue and, after its receives, to the DLQ; the
tick re-drives it and, when it keeps failing, ends what it was for with the noted reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.domain.messages import ChunkMessage
from chalicelib.observability import logger
from chalicelib.services.ports import Ports

_KEEP_SECONDS = 7 * 86400  # longer than any message lives in a queue and its DLQ
_MAX_REASON = 300  # characters of an error kept: enough to say what, not a whole traceback


def split_subject(batch_id: str) -> str:
    """The subject of a batch's split."""
    return f"failure#split#{batch_id}"


def part_subject(message: ChunkMessage) -> str:
    """The subject of one chunk part."""
    return f"failure#part#{message.batch_id}#{message.chunk}#{message.part}"


def finalize_subject(batch_id: str) -> str:
    """The subject of a batch's finalize."""
    return f"failure#finalize#{batch_id}"


def message_safe(text: str) -> str:
    """Text as one short line."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[:_MAX_REASON - 1] + "…"


def describe(error: BaseException) -> str:
    """An error in one line: its kind and what it said."""
    return message_safe(f"{type(error).__name__}: {error}")


def note_failure(ports: Ports, subject: str, error: BaseException) -> None:
    """Note why this failed (best effort: a note that cannot be written is only logged)."""
    try:
        ports.markers.put(subject, {"reason": describe(error)},
                          int(ports.clock.epoch()) + _KEEP_SECONDS)
    except Exception:
        logger.exception("could not note a failure", extra={"subject": subject})


def noted_failure(ports: Ports, subject: str) -> str | None:
    """The last failure noted for this subject, if any."""
    note = ports.markers.get(subject)
    return str(note["reason"]) if note and note.get("reason") else None


@contextmanager
def noting_failures(ports: Ports, subject: str | None) -> Iterator[None]:
    """Run a record's work; an error it raises is noted under ``subject``, then raised on."""
    try:
        yield
    except Exception as error:
        if subject is not None:
            note_failure(ports, subject, error)
        raise
