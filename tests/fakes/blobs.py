"""The data bucket in memory; an object created under a notified prefix sends S3's event."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import quote

from chalicelib.domain.errors import NotFound
from chalicelib.ports import blobs as blobs_port
from chalicelib.ports.blobs import UploadGone

# Called with (bucket, key, etag) once an object is stored: S3's ObjectCreated notification.
Created = Callable[[str, str, str], None]


class InMemoryBlobs:
    """The Blobs port on a dict of (bucket, key) -> object."""

    def __init__(self, bucket: str, created: Created | None = None) -> None:
        self.bucket = bucket
        self._created = created
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._uploads: dict[str, dict[str, Any]] = {}
        self._uploads_made = 0

    def put(self, key: str, body: bytes, content_type: str = "application/octet-stream",
            metadata: dict[str, str] | None = None) -> None:
        """Store bytes under a key."""
        etag = f'"{hashlib.md5(body).hexdigest()}"'
        with self._lock:
            self._objects[(self.bucket, key)] = {"body": bytes(body), "ContentType": content_type,
                                                 "Metadata": dict(metadata or {}), "ETag": etag}
        if self._created is not None:
            self._created(self.bucket, key, etag)

    def upload(self, key: str, stream: IO[bytes], content_type: str,
               metadata: dict[str, str] | None = None) -> None:
        """Store a stream's bytes under a key."""
        self.put(key, stream.read(), content_type, metadata)

    def upload_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a local file's bytes under a key."""
        self.put(key, path.read_bytes(), content_type)

    def start_upload(self, key: str, content_type: str) -> str:
        """Begin a multipart upload of ``key``; its upload id."""
        with self._lock:
            self._uploads_made += 1
            upload_id = f"up-{self._uploads_made}"
            self._uploads[upload_id] = {"key": key, "ContentType": content_type, "parts": {}}
        return upload_id

    def upload_part(self, key: str, upload_id: str, number: int, path: Path) -> None:
        """Keep a local file's bytes as part ``number`` (replacing one sent before)."""
        body = path.read_bytes()
        with self._lock:
            self._upload(key, upload_id)["parts"][number] = body

    def finish_upload(self, key: str, upload_id: str) -> None:
        """Join the parts in number order, each but the last at least ``MIN_PART_BYTES``."""
        with self._lock:
            upload = self._upload(key, upload_id)
            parts = [upload["parts"][n] for n in sorted(upload["parts"])]
            if any(len(part) < blobs_port.MIN_PART_BYTES for part in parts[:-1]):
                raise ValueError("EntityTooSmall: a part but the last is under the minimum")
        self.put(key, b"".join(parts), upload["ContentType"])  # as on S3: the object, then no upload
        with self._lock:
            self._uploads.pop(upload_id, None)

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Drop an upload and its parts (nothing if it is gone)."""
        with self._lock:
            self._uploads.pop(upload_id, None)

    @property
    def uploads_begun(self) -> int:
        """How many multipart uploads were begun (for tests)."""
        return self._uploads_made

    def open_uploads(self) -> list[str]:
        """The keys of the uploads begun and neither completed nor aborted (for tests)."""
        with self._lock:
            return sorted(upload["key"] for upload in self._uploads.values())

    def _upload(self, key: str, upload_id: str) -> dict[str, Any]:
        upload = self._uploads.get(upload_id)
        if upload is None or upload["key"] != key:
            raise UploadGone(f"No upload {upload_id!r} of {key!r}.")
        return upload

    def open(self, key: str, bucket: str | None = None, start: int = 0) -> BinaryIO:
        """A reader of an object from byte ``start`` on; NotFound when there is none."""
        return io.BytesIO(self._object(key, bucket)["body"][start:])

    def read(self, key: str) -> bytes:
        """An object's bytes; NotFound when there is none."""
        return bytes(self._object(key, None)["body"])

    def read_span(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of an object from byte ``offset``; NotFound when there is none."""
        return bytes(self._object(key, None)["body"][offset:offset + max(length, 0)])

    def keys(self, prefix: str) -> list[str]:
        """Every key under a prefix, in key order."""
        with self._lock:
            return sorted(k for b, k in self._objects if b == self.bucket and k.startswith(prefix))

    def exists(self, key: str) -> bool:
        """True when the object exists."""
        return (self.bucket, key) in self._objects

    def head(self, key: str, bucket: str | None = None) -> dict[str, Any]:
        """An object's ETag, ContentType, ContentLength and Metadata."""
        held = self._object(key, bucket)
        return {"ETag": held["ETag"], "ContentType": held["ContentType"],
                "ContentLength": len(held["body"]), "Metadata": dict(held["Metadata"])}

    def download_url(self, key: str, ttl: int, filename: str) -> str:
        """A fake link naming the bucket, the key, the filename and the lifetime."""
        return f"memory://{self.bucket}/{key}?filename={quote(filename)}&expires-in={ttl}"

    def copy(self, source_key: str, key: str, bucket: str | None = None) -> None:
        """Copy an object within the fake bucket (its event is sent as S3 sends one)."""
        held = self._object(source_key, bucket)
        self.put(key, held["body"], held["ContentType"], held["Metadata"])

    def upload_form(self, key: str, max_bytes: int, ttl: int) -> dict[str, Any]:
        """A form naming the key, the size range and the lifetime (nothing can be POSTed to it)."""
        return {"url": f"memory://{self.bucket}", "fields": {
            "key": key, "content-length-range": f"1,{max_bytes}", "expires-in": str(ttl)}}

    def _object(self, key: str, bucket: str | None) -> dict[str, Any]:
        with self._lock:
            held = self._objects.get((bucket or self.bucket, key))
        if held is None:
            raise NotFound(f"No object {key!r}.")
        return held
