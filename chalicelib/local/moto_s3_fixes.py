"""A fix of ours to moto's S3, for AWS's behaviour: a part sent to (or a completion of) a
multipart upload that was completed or aborted is answered ``NoSuchUpload``, as S3 answers it;
moto looks the upload up in a dict and fails with a KeyError (a 500 from its server).
finalize's steps rely on the answer: a late writer learns that another finished the file."""

from __future__ import annotations

from typing import Any

from moto.s3.exceptions import NoSuchUpload
from moto.s3.models import S3Backend


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
