"""Fixes of ours to moto's S3.

- For AWS's behaviour: a part sent to (or a completion of) a multipart upload that was completed
  or aborted is answered ``NoSuchUpload``, as S3 answers it; moto looks the upload up in a dict
  and fails with a KeyError (a 500 from its server). finalize's steps rely on the answer: a late
  writer learns that another finished the file.
- For speed, the same answers: an object's bytes are kept in a spooled temporary file that moves
  to disk past ~5 MB; moto wrote a bigger value into memory first and then copied it to disk
  (every UploadPart of finalize's 8 MB parts, every completed upload). Here a value over the
  limit goes to disk at once. And CompleteMultipartUpload read each part from disk twice (once
  for the object, once for its checksum) and copied the object twice more (a growing bytearray,
  then ``bytes``); here each part is read once and the object joined once (one 96 MB upload of
  twelve parts: 0.31 s of CPU before, see ``test_emulator_s3``).
- For speed, the same answers: an object's ETag (the MD5 of its bytes) is computed from the bytes
  as they are stored; moto wrote them to the object's buffer and read them all back to hash them
  when the answer asked for the ETag (every PutObject and UploadPart).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any

import moto.s3.models as s3_models
from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML, NoSuchUpload
from moto.s3.models import FakeKey, FakeMultipart, MultipartChecksumBuilder, S3Backend
from moto.utilities.utils import md5_hash


def _known_upload(method: Any) -> Any:
    def checked(self: S3Backend, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
        if multipart_id not in self.get_bucket(bucket_name).multiparts:
            raise NoSuchUpload(upload_id=multipart_id)
        return method(self, bucket_name, multipart_id, *args, **kwargs)

    checked.known_upload = True  # type: ignore[attr-defined]
    return checked


def answer_gone_uploads() -> None:
    """UploadPart and CompleteMultipartUpload of an upload that is gone: NoSuchUpload.

    (ListParts and AbortMultipartUpload already answer so.)
    """
    for name in ("upload_part", "complete_multipart_upload"):
        method = getattr(S3Backend, name)
        if not getattr(method, "known_upload", False):
            setattr(S3Backend, name, _known_upload(method))


def _stored_at_once(key: FakeKey, value: bytes | str) -> None:
    """``FakeKey.value``'s setter: a value past the in-memory limit written straight to disk."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    buffer = key._value_buffer
    buffer.seek(0)
    buffer.truncate()
    if len(value) > key._max_buffer_size:
        buffer.rollover()  # to disk now, not after a copy in memory
    buffer.write(value)
    key.contentsize = len(value)
    if key._etag is None:  # an object's ETag: hashed here, not read back from the buffer to hash
        key._etag = md5_hash(value).hexdigest()


def _joined(upload: FakeMultipart,
            body: Iterator[tuple[int, str]]) -> tuple[bytes, str, tuple[str, str, int] | None]:
    """``FakeMultipart.complete``: the parts named, in order, joined into the object's bytes, with
    its ETag (the MD5 of the parts' MD5s, then ``-`` and their count) and checksum; each part read
    once. Refused as moto refuses: a part unknown or of another ETag, a part but the last under
    S3's smallest, no part."""
    checksums = MultipartChecksumBuilder(upload.metadata.get("x-amz-checksum-algorithm"),
                                         upload.metadata.get("x-amz-checksum-type"))
    values: list[bytes] = []
    digests = bytearray()
    previous: FakeKey | None = None
    for number, etag in body:
        part = upload.parts.get(number)
        if part is None or part.etag.replace('"', "") != etag.replace('"', ""):
            raise InvalidPart()
        smallest = getattr(s3_models, "S3_UPLOAD_PART_MIN_SIZE")  # noqa: B009  # tests lower it
        if previous is not None and previous.contentsize < smallest:
            raise EntityTooSmall()
        digests.extend(codecs.decode(part.etag.replace('"', ""), "hex"))
        value = part.value
        values.append(value)
        checksums.addPart(value)
        previous = part
    if not values:
        raise MalformedXML
    whole = md5_hash()
    whole.update(bytes(digests))
    return b"".join(values), f"{whole.hexdigest()}-{len(values)}", checksums.build()


# moto's own methods these fixes replace, kept (``test_emulator_s3`` compares their answers)
MOTO: dict[str, Any] = {}


def store_fewer_copies() -> None:
    """Big values written to disk once; uploads completed with each part read once."""
    if getattr(FakeMultipart.complete, "joined_once", False):
        return
    MOTO.update(complete=FakeMultipart.complete, value=vars(FakeKey)["value"])
    getter = vars(FakeKey)["value"].fget
    FakeKey.value = property(getter, _stored_at_once)  # type: ignore[method-assign,assignment]
    _joined.joined_once = True  # type: ignore[attr-defined]
    FakeMultipart.complete = _joined  # type: ignore[method-assign,assignment]
