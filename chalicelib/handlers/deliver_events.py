"""The deliver function: webhook events -> one delivery per endpoint; due attempts -> signed POSTs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import SQSEvent

from chalicelib.domain.webhook_messages import DeliverMessage, FanOutMessage
from chalicelib.handlers.sqs_batches import partial
from chalicelib.services.delivering import attempt_delivery
from chalicelib.services.fanning import fan_out
from chalicelib.services.ports import Ports, get_ports


def deliver_message(ports: Ports, body: str) -> None:
    """One deliver-queue message: fan an event out, or make a delivery attempt."""
    message = DeliverMessage.parse(body)
    if isinstance(message, FanOutMessage):
        fan_out(ports, message.tenant_id, message.batch_id)
    else:
        attempt_delivery(ports, message)


def _deliver_record(record: SQSRecord) -> None:
    deliver_message(get_ports(), record.body)


def handle_deliver(event: SQSEvent) -> dict[str, Any]:
    """Fan out events into webhook deliveries, and make the delivery attempts that are due."""
    return partial(event, _deliver_record)
