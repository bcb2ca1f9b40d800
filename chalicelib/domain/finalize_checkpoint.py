"""Where a finalize that goes in steps stands: stored on the batch item after each step."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.domain.lazy_model import LazyModel


class FinalizeCheckpoint(LazyModel):
    """The next step of a batch's finalize and what the steps before it left.

    ``chunk`` is the position (in chunk order) of the first chunk the step writes and ``end`` the
    position after its last (fixed when the checkpoint is recorded, so every run of the step,
    whatever its settings, writes the same rows as the same part); ``uploads``
    each results file's multipart upload (step ``n`` sends part ``n``); ``carried`` the files
    whose bytes since their last part (under S3's smallest part) wait in the previous step's
    carry object (``keys.carry_key``); ``tally`` what summary.json counts so far
    (``finalize_files.Tally``).
    """

    step: int = Field(ge=1)
    chunk: int = Field(ge=0)
    end: int | None = Field(default=None, ge=0)  # None: as the step size says (older checkpoints)
    uploads: dict[str, str]
    carried: list[str] = Field(default_factory=list)
    tally: dict[str, Any] = Field(default_factory=dict)
    seconds: float = Field(default=0.0, ge=0)  # time spent in the steps so far
