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

# Called with (bucket, key, etag) once an object is stored: S3's ObjectCreated notification.
Created = Callable[[str, str, str], None]


class InMemoryBlobs:
    """The Blobs port on a dict of (bucket, key) -> object."""

    def __init__(self, bucket: str, created: Created | None = None) -> None:
        self.bucket = bucket
        self._created = created
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

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

    def open(self, key: str, bucket: str | None = None, start: int = 0) -> BinaryIO:
        """A reader of an object from byte ``start`` on; NotFound when there is none."""
        return io.BytesIO(self._object(key, bucket)["body"][start:])

    def read(self, key: str) -> bytes:
        """An object's bytes; NotFound when there is none."""
        return bytes(self._object(key, None)["body"])

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
