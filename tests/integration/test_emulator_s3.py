"""The emulator's S3 stores big objects with fewer copies (``moto_s3_fixes``) and answers what
moto answers: the same bytes, ETag and checksum for a completed upload, the same refusals."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from tempfile import SpooledTemporaryFile
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.s3.models import FakeKey, FakeMultipart, s3_backends

from chalicelib.clients import get_clients
from chalicelib.local import moto_s3_fixes
from tests.conftest import Aws

MB = 1024 * 1024
BUCKET = "probe-uploads"


@pytest.fixture
def s3(aws: Aws) -> Any:
    client = get_clients().s3
    client.create_bucket(Bucket=BUCKET)
    return client


def _upload(s3: Any, key: str, parts: list[bytes],
            algorithm: str | None) -> tuple[str, list[dict[str, Any]]]:
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key, **extra)["UploadId"]
    sent = []
    for number, body in enumerate(parts, 1):
        answer = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=number, Body=body)
        sent.append({"PartNumber": number, "ETag": answer["ETag"],
                     **({"ChecksumCRC32": answer["ChecksumCRC32"]} if "ChecksumCRC32" in answer else {})})
    return upload, sent


def _multipart(upload: str) -> FakeMultipart:
    bucket = s3_backends["123456789012"]["aws"].get_bucket(BUCKET)
    return bucket.multiparts[upload]


def _named(sent: list[dict[str, Any]]) -> Iterator[tuple[int, str]]:
    return iter([(part["PartNumber"], part["ETag"]) for part in sent])


@pytest.mark.parametrize("algorithm", ["CRC32", None])
def test_a_completed_upload_is_what_moto_makes_of_it_reading_each_part_once(
        s3: Any, algorithm: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an upload of three parts (two over S3's smallest, one short last)
    parts = [os.urandom(5 * MB + 10), os.urandom(6 * MB), b"the last part"]
    upload, sent = _upload(s3, "big.bin", parts, algorithm)
    expected = moto_s3_fixes.MOTO["complete"](_multipart(upload), _named(sent))
    reads: list[object] = []
    getter = moto_s3_fixes.MOTO["value"].fget

    def counted(key: FakeKey) -> bytes:
        reads.append(key.name)
        return getter(key)  # type: ignore[no-any-return]

    monkeypatch.setattr(FakeKey, "value", property(counted, vars(FakeKey)["value"].fset))

    # WHEN it is completed through the emulator's S3
    s3.complete_multipart_upload(Bucket=BUCKET, Key="big.bin", UploadId=upload,
                                 MultipartUpload={"Parts": sent})
    completing = list(reads)

    # THEN the object is moto's: bytes, ETag, checksum; each part was read once
    got = s3.get_object(Bucket=BUCKET, Key="big.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == expected[0] == b"".join(parts)
    assert got["ETag"].strip('"') == expected[1]
    if expected[2] is not None and algorithm:
        assert got[f"Checksum{algorithm}"].startswith(expected[2][1])
    assert completing == [1, 2, 3]  # moto read each twice


def test_a_completion_is_refused_as_moto_refuses_it(s3: Any) -> None:
    parts = [os.urandom(5 * MB + 10), b"short", os.urandom(10)]
    upload, sent = _upload(s3, "refused.bin", parts, "CRC32")
    cases = {"InvalidPart": [{**sent[0], "ETag": '"00000000000000000000000000000000"'}],
             "EntityTooSmall": sent, "MalformedXML": []}
    for code, named in cases.items():
        with pytest.raises(ClientError) as refused:
            s3.complete_multipart_upload(Bucket=BUCKET, Key="refused.bin", UploadId=upload,
                                         MultipartUpload={"Parts": named})
        assert refused.value.response["Error"]["Code"] == code
        with pytest.raises(Exception) as by_moto:
            moto_s3_fixes.MOTO["complete"](_multipart(upload), _named(named))
        assert type(by_moto.value).__name__ == code


def test_a_value_past_the_memory_limit_is_written_to_disk_once(s3: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[tuple[int, bool]] = []
    setter = vars(FakeKey)["value"].fset

    def watched(key: FakeKey, value: bytes) -> None:
        buffer = key._value_buffer
        real = buffer.write

        def write(data: bytes) -> int:
            writes.append((len(data), getattr(buffer, "_rolled")))  # noqa: B009  # on disk already?
            return real(data)

        setattr(buffer, "write", write)  # noqa: B010  # this key's buffer only
        try:
            setter(key, value)
        finally:
            delattr(buffer, "write")

    monkeypatch.setattr(FakeKey, "value", property(vars(FakeKey)["value"].fget, watched))
    body = os.urandom(6 * MB)

    s3.put_object(Bucket=BUCKET, Key="six.bin", Body=body)

    assert s3.get_object(Bucket=BUCKET, Key="six.bin")["Body"].read() == body
    assert (6 * MB, True) in writes and (6 * MB, False) not in writes


def test_an_objects_etag_is_hashed_from_the_bytes_as_they_are_stored(
        s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the stored objects' buffers counting their reads
    reads: list[int] = []
    read = SpooledTemporaryFile.read

    def counted(buffer: SpooledTemporaryFile[bytes], *args: Any) -> bytes:
        reads.append(1)
        return read(buffer, *args)

    monkeypatch.setattr(SpooledTemporaryFile, "read", counted)
    body = os.urandom(6 * MB)

    # WHEN an object and an upload's part are stored
    put = s3.put_object(Bucket=BUCKET, Key="hashed.bin", Body=body)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="hashed-parts.bin")["UploadId"]
    part = s3.upload_part(Bucket=BUCKET, Key="hashed-parts.bin", UploadId=upload, PartNumber=1, Body=body)

    # THEN their ETags are the MD5 of their bytes, and nothing was read back to hash it (moto read
    # each whole object back)
    assert put["ETag"] == part["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert reads == []
