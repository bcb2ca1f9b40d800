"""Where a finalize that goes in steps stands: stored on the batch item after each step."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.domain.lazy_model import LazyModel


class SurveyedHeader(LazyModel):
    """results.csv's header as the writing steps use it: the output columns and the widest row,
    as the settlements recorded them or as finalize's own survey of the rows finds them (so far;
    ``known`` once every row was seen). At most the output columns the settlements keep on the
    batch item (``Batch.shape_columns``), so it fits the item as they do."""

    columns: list[str] = Field(default_factory=list)
    width: int = Field(default=0, ge=0)
    known: bool = False
    first: int = Field(default=1, ge=1)  # the first step that writes (it writes the files' headers)


class FinalizeCheckpoint(LazyModel):
    """The next step of a batch's finalize and what the steps before it left.

    ``chunk`` is the position (in chunk order) of the first chunk the step writes and ``end`` the
    position after its last (fixed when the checkpoint is recorded, so every run of the step,
    whatever its settings, writes the same rows as the same part); ``row`` the first row it writes
    (the rows before its chunks' first settled row that no part holds are its too); past the last
    chunk, a stopped batch's rows no part holds are written in steps of rows, up to ``stop``
    (fixed as ``end`` is); ``uploads``
    each results file's multipart upload (step ``n`` sends part ``n``); ``carried`` the files
    whose bytes since their last part (under S3's smallest part) wait in the previous step's
    carry object (``keys.carry_key``); ``tally`` what summary.json counts so far
    (``finalize_files.Tally``); ``header`` results.csv's header (not known yet: this step
    surveys; None: an older checkpoint, the settlements' shapes give it, ``results_shape``).
    """

    step: int = Field(ge=1)
    chunk: int = Field(ge=0)
    end: int | None = Field(default=None, ge=0)  # None: as the step size says (older checkpoints)
    row: int | None = Field(default=None, ge=0)  # None: its chunks' first row (older checkpoints)
    stop: int | None = Field(default=None, ge=0)
    uploads: dict[str, str]
    carried: list[str] = Field(default_factory=list)
    tally: dict[str, Any] = Field(default_factory=dict)
    seconds: float = Field(default=0.0, ge=0)  # time spent in the steps so far
    header: SurveyedHeader | None = None
