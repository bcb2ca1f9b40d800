"""The bodies of the queue messages a batch travels in: a chunk's part (work), a split's request
and checkpoint (ingest), a finalize request. Each is read back with ``model_validate_json``."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.lazy_model import LazyModel


class ChunkRow(LazyModel):
    """One input row as it travels: its index in the file and its raw values."""

    i: int
    v: list[str]
    skip: str | None = None  # reason code when the row is skipped without enrichment


class ChunkMessage(LazyModel):
    """The body of one work-queue message: one part of one chunk.

    Part 0 carries its rows inline. A later part (after a pause) points at the stored object of
    the previous part and how many of its rows already settled.
    """

    tenant_id: str
    batch_id: str
    chunk: int = Field(ge=0)
    part: int = Field(default=0, ge=0)
    fields: dict[str, int] = Field(default_factory=dict)  # canonical field -> column index
    rows: list[ChunkRow] | None = None
    start: int = Field(default=0, ge=0)  # offset of the part's first row within its chunk
    source_key: str | None = None
    source_skip: int = Field(default=0, ge=0)
    # A reprocessed part: its rows' earlier outcomes were taken off the counters when the
    # batch reopened, so none of them counts as parked before this part settles.
    reprocess: bool = False
    redrives: int = Field(default=0, ge=0)  # times the tick sent this message back from the DLQ
    # Enrich the rows again even where an earlier part kept their outcome (reprocess refresh).
    refresh: bool = False
    # The request (API call, or the tick's invocation) this part's work was caused by: its log
    # lines carry it. Absent in messages sent before it existed.
    request_id: str | None = None


class SplitCheckpoint(LazyModel):
    """Where a split stopped, so the next invocation goes on from there.

    The reader's state (the byte ``offset`` of the next row's record, its ``line`` number, the
    ``blanks`` blank-line rows still to give before it, the ``codec`` and ``delimiter``), the
    next data row's index ``row``, the next ``chunk``'s number, the ``records`` (not blank
    lines) counted before it for the row limits, and the steps and split seconds so far.
    """

    offset: int = Field(ge=0)
    line: int = Field(default=0, ge=0)
    blanks: int = Field(default=0, ge=0)
    row: int = Field(ge=0)
    chunk: int = Field(ge=0)
    records: int = Field(ge=0)
    codec: str
    delimiter: str
    steps: int = Field(default=1, ge=1)
    seconds: float = Field(default=0.0, ge=0)


class SplitRequest(LazyModel):
    """What an ingest-queue message asks beyond its S3 records (a message the tick sent)."""

    # send only these chunks again: their part-0 messages were lost (services/healing.py)
    only: frozenset[int] | None = Field(default=None, validation_alias="chunks")
    # where reading starts for those chunks (a resend that went on in a next step)
    start: SplitCheckpoint | None = None
    redrives: int = 0  # times the tick sent this message back from the DLQ

    @classmethod
    def from_body(cls, body: str) -> SplitRequest:
        """The request an ingest message's body makes (an S3 notification asks nothing more)."""
        return cls.model_validate_json(body)


class FinalizeMessage(LazyModel):
    """The body of one finalize-queue message."""

    tenant_id: str
    batch_id: str
    redrives: int = Field(default=0, ge=0)  # times the tick sent this message back from the DLQ
    request_id: str | None = None  # as ChunkMessage's
