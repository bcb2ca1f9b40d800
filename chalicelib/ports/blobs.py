"""Objects in the data bucket (keys from ``chalicelib.keys``)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part of a multipart upload but the last


class UploadGone(Exception):
    """A multipart upload is no longer open: completed (by another writer) or aborted."""


class Blobs(Protocol):
    """Objects in one bucket (reads may name another bucket, as an S3 event does)."""

    def put(self, key: str, body: bytes, content_type: str = "application/octet-stream",
            metadata: dict[str, str] | None = None) -> None:
        """Store bytes under a key."""

    def upload(self, key: str, stream: IO[bytes], content_type: str,
               metadata: dict[str, str] | None = None) -> None:
        """Stream a file-like object to a key."""

    def upload_file(self, key: str, path: Path, content_type: str) -> None:
        """Send a local file to a key, reading it from disk part by part (memory stays flat)."""

    def start_upload(self, key: str, content_type: str) -> str:
        """Begin a multipart upload of ``key``; its upload id."""

    def upload_part(self, key: str, upload_id: str, number: int, path: Path) -> None:
        """Send a local file as part ``number`` of an upload (a part sent again replaces it);
        UploadGone when the upload was completed or aborted."""

    def finish_upload(self, key: str, upload_id: str) -> None:
        """Join the parts sent so far, in part-number order, into the object (each but the last
        at least ``MIN_PART_BYTES``); UploadGone when the upload was completed or aborted."""

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Drop an upload and its parts (nothing if it is gone)."""

    def open(self, key: str, bucket: str | None = None, start: int = 0) -> BinaryIO:
        """A streaming reader of an object from byte ``start`` on; NotFound when there is none."""

    def read(self, key: str) -> bytes:
        """An object's bytes; NotFound when there is none."""

    def read_span(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of an object from byte ``offset`` (one ranged GET); NotFound when there
        is none."""

    def keys(self, prefix: str) -> list[str]:
        """Every key under a prefix, in key order."""

    def exists(self, key: str) -> bool:
        """True when the object exists."""

    def head(self, key: str, bucket: str | None = None) -> dict[str, Any]:
        """An object's ``ETag``, ``ContentType``, ``ContentLength`` and user ``Metadata``."""

    def download_url(self, key: str, ttl: int, filename: str) -> str:
        """A link that downloads the object under ``filename`` for ``ttl`` seconds."""

    def copy(self, source_key: str, key: str, bucket: str | None = None) -> None:
        """Copy an object (of ``bucket``, this one if None) to ``key`` in this bucket, inside S3."""

    def upload_form(self, key: str, max_bytes: int, ttl: int) -> dict[str, Any]:
        """A presigned POST for exactly ``key``: ``{"url", "fields"}``; S3 refuses a file of 0 or
        more than ``max_bytes`` bytes, or one sent after ``ttl`` seconds."""
