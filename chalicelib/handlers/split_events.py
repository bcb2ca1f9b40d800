"""The split function: S3 object-created events (through the ingest queue) -> chunks on the work queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import SQSEvent

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.messages import SplitRequest
from chalicelib.handlers.heap import settle_heap
from chalicelib.handlers.sqs_batches import partial, seconds_left
from chalicelib.keys import upload_ids
from chalicelib.services.failures import noting_failures, split_subject
from chalicelib.services.ingesting import ingest
from chalicelib.services.ports import get_ports
from chalicelib.services.splitting import UploadedObject

# A split keeps a chunk's rows alive while it packs them: no collections every 700 containers.
settle_heap()


class _S3Object(LazyModel):
    key: str
    eTag: str = ""


class _S3Bucket(LazyModel):
    name: str


class _S3Entity(LazyModel):
    bucket: _S3Bucket
    object: _S3Object


class _S3Record(LazyModel):
    """Only what split needs of an S3 notification record (moto omits fields AWS sends)."""

    eventName: str
    s3: _S3Entity


def uploaded_objects(body: str) -> list[UploadedObject]:
    """The created objects an S3 notification names (none for ``s3:TestEvent``)."""
    payload = json.loads(body)
    records = [_S3Record.model_validate(r) for r in payload.get("Records", [])]
    return [
        UploadedObject(r.s3.bucket.name, unquote_plus(r.s3.object.key), r.s3.object.eTag)
        for r in records if r.eventName.startswith("ObjectCreated")
    ]


def _split_records(time_left: Callable[[], float] | None) -> Callable[[SQSRecord], None]:
    def split_record(record: SQSRecord) -> None:
        ports = get_ports()
        request = SplitRequest.from_body(record.body)
        for obj in uploaded_objects(record.body):
            ids = upload_ids(obj.key)
            with noting_failures(ports, split_subject(ids[1]) if ids else None):
                # a batch's input is split; a dropped file starts one
                ingest(ports, obj, request.only, time_left, request.start)

    return split_record


def handle_split(event: SQSEvent) -> dict[str, Any]:
    """Split every uploaded file named by the S3 events in an ingest-queue batch (a big file
    in steps that end before the invocation's deadline)."""
    return partial(event, _split_records(seconds_left(event.context)))
