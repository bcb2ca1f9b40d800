"""``POST /v1/uploads``: the file a presigned upload will bring, and the batch options."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.options import BatchOptions

MAX_FILENAME_CHARS = 255


class UploadCreate(BatchOptions):
    """A file to upload straight to S3 (its name and size in bytes) and the batch's options."""

    filename: str = Field(min_length=1, max_length=MAX_FILENAME_CHARS, pattern=r"^[^/\\\x00-\x1f]+$")
    size: int = Field(ge=1)

    def options(self) -> BatchOptions:
        """The batch options alone."""
        return BatchOptions.model_validate(self.model_dump(exclude={"filename", "size"}))
