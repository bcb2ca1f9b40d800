"""The finalize function: settled batches -> results files, status completed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import SQSEvent

from chalicelib.domain.messages import FinalizeMessage
from chalicelib.handlers.heap import settle_heap
from chalicelib.handlers.sqs_batches import partial
from chalicelib.services.failures import finalize_subject, noting_failures
from chalicelib.services.finalizing import finalize_batch
from chalicelib.services.ports import get_ports

# finalize keeps a part's rendered rows alive while it joins them: no collections every 700 containers.
settle_heap()


def _finalize_record(record: SQSRecord) -> None:
    ports = get_ports()
    message = FinalizeMessage.model_validate_json(record.body)
    with noting_failures(ports, finalize_subject(message.batch_id)):
        finalize_batch(ports, message.tenant_id, message.batch_id)


def handle_finalize(event: SQSEvent) -> dict[str, Any]:
    """Finalize every batch named in a finalize-queue batch."""
    return partial(event, _finalize_record)
