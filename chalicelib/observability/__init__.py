"""The one place that owns the service's loggers, metrics (``metrics``, EMF) and tracer.

Every module logs through ``logger``; the local runtime's own lines (pollers, worker
processes) go through ``local_logger``, so a terminal can quiet one without the other. Both
write one JSON object a line to standard error (CloudWatch on AWS), carrying the correlation
ids of the running step (``correlation``), and every line passes the personal-data filter
(``redaction``) first. ``configure_local`` switches a local process to text lines and a level.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger

from chalicelib.observability import metrics
from chalicelib.observability.correlation import (
    CARRIED,
    FIELDS,
    CorrelationFilter,
    bind,
    correlated,
    current,
    fresh,
    request_id,
)
from chalicelib.observability.formats import (
    LogFormat,
    StderrHandler,
    json_line,
    metrics_writer,
    route_everything,
    use_format,
)
from chalicelib.observability.redaction import PersonalDataFilter

SERVICE = "batch-enrich"
LOCAL_SERVICE = f"{SERVICE}-local"


def _logger(service: str) -> Logger:
    log = Logger(service=service, logger_handler=StderrHandler(), json_serializer=json_line,
                 log_record_order=["timestamp", "level", "message"])
    for handler in log.handlers:
        handler.addFilter(CorrelationFilter())  # ids first, so the filter below checks them too
        handler.addFilter(PersonalDataFilter())
    return log


logger = _logger(SERVICE)
local_logger = _logger(LOCAL_SERVICE)


def configure_local(log_format: LogFormat = "json", level: str | int = "INFO") -> None:
    """A local process's logging: one format and level for the service's lines and everyone else's."""
    use_format([*logger.handlers, *local_logger.handlers], log_format)
    for log in (logger, local_logger):
        log.setLevel(level)
        log._logger.propagate = False  # the root handler below would write them twice
    route_everything(logger.handlers[0], SERVICE)
    logging.getLogger().setLevel(logging.WARNING)  # libraries: warnings and errors only
    # Metrics are INFO lines: beside the logs of ``serve``, not under the progress bar of ``run``.
    shown = logger.log_level <= logging.INFO
    metrics.emit_to(metrics_writer(logger.handlers[0], log_format) if shown else None)


__all__ = ["CARRIED", "FIELDS", "LOCAL_SERVICE", "SERVICE", "bind", "configure_local", "correlated",
           "current", "fresh", "local_logger", "logger", "metrics", "request_id"]
