"""Where log lines go and how they read: JSON for machines (CloudWatch, ``serve``), text for people."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

LogFormat = Literal["json", "text"]
# Keys a person reading a terminal does not need on every line (they stay in the JSON).
_QUIET = frozenset({"level", "location", "message", "timestamp", "service", "sampling_rate",
                    "cold_start", "function_arn", "function_memory_size", "xray_trace_id",
                    "exception", "exception_name"})


def json_line(log: dict[str, Any]) -> str:
    """One compact JSON object (the shape CloudWatch Logs Insights reads)."""
    return json.dumps(log, default=str, separators=(",", ":"), ensure_ascii=False)


def text_line(log: dict[str, Any]) -> str:
    """``time LEVEL message key=value …`` and the traceback below, for a terminal."""
    fields = " ".join(f"{key}={value}" for key, value in log.items() if key not in _QUIET)
    line = f"{log.get('timestamp', '')} {log.get('level', ''):<7} {log.get('message', '')}"
    exception = log.get("exception")
    return (f"{line}  {fields}" if fields else line) + (f"\n{exception}" if exception else "")


SERIALIZERS: dict[str, Callable[[dict[str, Any]], str]] = {"json": json_line, "text": text_line}


def metrics_text(emf: dict[str, Any]) -> str:
    """An EMF object as ``time METRICS name=value … dimension=value`` for a terminal."""
    definitions = emf["_aws"]["CloudWatchMetrics"][0]
    names = [metric["Name"] for metric in definitions["Metrics"]]
    dimensions = [name for group in definitions["Dimensions"] for name in group if name != "service"]
    values = " ".join(f"{name}={'+'.join(f'{v:g}' for v in emf[name])}" for name in names)
    labels = "".join(f" {name}={emf[name]}" for name in dimensions)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(emf["_aws"]["Timestamp"] / 1000))
    return f"{stamp} METRICS {values}{labels}"


def metrics_writer(handler: logging.Handler, log_format: str) -> Callable[[dict[str, Any]], None]:
    """Writes EMF lines to the stream of ``handler`` (under its lock: lines never interleave)."""
    render = json_line if log_format == "json" else metrics_text

    def write(emf: dict[str, Any]) -> None:
        handler.acquire()
        try:
            sys.stderr.write(render(emf) + "\n")
            sys.stderr.flush()
        finally:
            handler.release()

    return write


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current standard error."""
        self.stream = sys.stderr
        super().emit(record)


def use_format(handlers: Iterable[logging.Handler], log_format: str) -> None:
    """Serialize the lines of these handlers' Powertools formatters as JSON or text."""
    for handler in handlers:
        if isinstance(handler.formatter, LambdaPowertoolsFormatter):
            handler.formatter.json_serializer = SERIALIZERS[log_format]  # type: ignore[assignment]


def route_everything(handler: logging.Handler, service: str) -> None:
    """Send library records, warnings and uncaught exceptions through ``handler`` too.

    Locally (``serve``, ``run``) nothing should reach standard error but lines of the one
    format: the root logger gets the handler, Python's warnings become records, and an
    exception nobody caught (in any thread) is logged instead of printed.
    """
    root = logging.getLogger()
    if handler not in root.handlers:
        root.addHandler(handler)
    logging.captureWarnings(True)
    log = logging.getLogger(service)

    def uncaught(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log.error("uncaught exception in a thread",
                      exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    threading.excepthook = uncaught
    sys.excepthook = lambda kind, value, tb: log.error("uncaught exception", exc_info=(kind, value, tb))
