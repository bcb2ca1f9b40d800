"""S3 adapter for the data bucket: uploads, work objects and results files."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import error_code
from chalicelib.domain.errors import NotFound
from chalicelib.ports.blobs import UploadGone

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef


class BlobStore:
    """Objects in one bucket."""

    def __init__(self, client: S3Client, bucket: str, signer: S3Client | None = None) -> None:
        self._s3 = client
        self._signer = signer or client  # SigV4 presigned POSTs (every region accepts those)
        self.bucket = bucket

    def put(self, key: str, body: bytes, content_type: str = "application/octet-stream",
            metadata: dict[str, str] | None = None) -> None:
        """Store bytes under a key."""
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                            Metadata=metadata or {})

    def upload(self, key: str, stream: IO[bytes], content_type: str,
               metadata: dict[str, str] | None = None) -> None:
        """Stream a file-like object to a key (multipart when large)."""
        extra: dict[str, Any] = {"ContentType": content_type, "Metadata": metadata or {}}
        self._s3.upload_fileobj(stream, self.bucket, key, ExtraArgs=extra)

    def upload_file(self, key: str, path: Path, content_type: str) -> None:
        """Send a local file to a key (multipart when large), each part read from disk as it is
        sent: ``upload_fileobj`` holds up to ten 8 MB parts of each upload in memory instead."""
        self._s3.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": content_type})

    def start_upload(self, key: str, content_type: str) -> str:
        """Begin a multipart upload of ``key``; its upload id.

        With CRC32 checksums of each part (as boto3's own uploads make them: botocore sends a
        part's CRC32 by default), so the object's checksum is the parts' composite; without an
        algorithm S3 (and moto, over the whole object at completion) computes a full-object one.
        """
        return self._s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type,
                                                ChecksumAlgorithm="CRC32")["UploadId"]

    def upload_part(self, key: str, upload_id: str, number: int, path: Path) -> None:
        """Send a local file as part ``number`` (read from disk as it is sent)."""
        with path.open("rb") as body, _gone_raises():
            self._s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                 PartNumber=number, Body=body)

    def finish_upload(self, key: str, upload_id: str) -> None:
        """Complete an upload with every part S3 lists for it, in part-number order."""
        with _gone_raises():
            parts: list[CompletedPartTypeDef] = [
                {"PartNumber": part["PartNumber"], "ETag": part["ETag"],
                 **({"ChecksumCRC32": part["ChecksumCRC32"]} if "ChecksumCRC32" in part else {})}
                for page in self._s3.get_paginator("list_parts").paginate(
                    Bucket=self.bucket, Key=key, UploadId=upload_id)
                for part in page.get("Parts", [])]
            self._s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                               MultipartUpload={"Parts": parts})

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Drop an upload and its parts (nothing if it is gone)."""
        try:
            with _gone_raises():
                self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except UploadGone:
            pass

    def open(self, key: str, bucket: str | None = None, start: int = 0) -> BinaryIO:
        """A streaming reader of an object from byte ``start`` on (a ranged GET)."""
        try:
            got = self._s3.get_object(Bucket=bucket or self.bucket, Key=key, Range=f"bytes={start}-") \
                if start else self._s3.get_object(Bucket=bucket or self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                raise NotFound(f"No object {key!r}.") from exc
            if start and error_code(exc) == "InvalidRange":  # from the end on: nothing left
                return io.BytesIO()
            raise
        return got["Body"]  # type: ignore[return-value]

    def read(self, key: str) -> bytes:
        """An object's bytes."""
        return self.open(key).read()

    def read_span(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of an object from byte ``offset`` (one ranged GET)."""
        if length <= 0:
            return b""
        try:
            got = self._s3.get_object(Bucket=self.bucket, Key=key,
                                      Range=f"bytes={offset}-{offset + length - 1}")
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                raise NotFound(f"No object {key!r}.") from exc
            raise
        return got["Body"].read()

    def keys(self, prefix: str) -> list[str]:
        """Every key under a prefix, in key order."""
        found: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                       Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def exists(self, key: str) -> bool:
        """True when the object exists."""
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def head(self, key: str, bucket: str | None = None) -> dict[str, Any]:
        """An object's metadata (ETag, user metadata)."""
        return dict(self._s3.head_object(Bucket=bucket or self.bucket, Key=key))

    def download_url(self, key: str, ttl: int, filename: str) -> str:
        """A presigned GET link that downloads the object under ``filename``."""
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'},
            ExpiresIn=ttl,
        )

    def copy(self, source_key: str, key: str, bucket: str | None = None) -> None:
        """A server-side copy (S3 copies up to 5 GB in one request; larger in parts)."""
        try:
            self._s3.copy({"Bucket": bucket or self.bucket, "Key": source_key}, self.bucket, key)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"No object {source_key!r}.") from exc
            raise

    def upload_form(self, key: str, max_bytes: int, ttl: int) -> dict[str, Any]:
        """A presigned POST whose policy pins the key and the size (1 to ``max_bytes`` bytes)."""
        form = self._signer.generate_presigned_post(
            self.bucket, key, Conditions=[["content-length-range", 1, max_bytes]], ExpiresIn=ttl)
        return {"url": form["url"], "fields": dict(form["fields"])}


@contextmanager
def _gone_raises() -> Iterator[None]:
    """S3's answer for an upload that is no longer open, as UploadGone."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) == "NoSuchUpload":
            raise UploadGone(str(exc)) from exc
        raise
