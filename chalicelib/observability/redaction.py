"""The log filter that keeps personal data out of every log line, whatever a call site passes.

A customer's rows hold emails, phones, names and addresses; none of them may reach a log line.
Care at each call site is not enough (an exception message quotes the value that broke it, a
pydantic error repeats its input, a new ``extra`` key carries a row), so every record passes
this filter before it is written:

- ``extra`` keys are allowed by name, each with the shape its value must have (an id, a
  count, a lower-case code, or free text that is scrubbed); any other key keeps its name
  and loses its value.
- The message is the call site's constant text: arguments that are strings are dropped and
  the text is scrubbed (emails, phone numbers, quoted values).
- An exception keeps its type and every frame of its traceback (file, line, function, the
  code line), and its message is scrubbed; chained exceptions likewise.

Scrubbing replaces email addresses, runs of 7 or more digits (phone numbers), quoted values
('…' and "…", as Python quotes a value in an error) and pydantic's ``input_value=…``.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

REDACTED = "[redacted]"
_TEXT_LIMIT = 2_000
_EXCEPTION_LIMIT = 16_000

_EMAIL = re.compile(r"[^\s@'\"<>(),;:\[\]]+@[^\s@'\"<>(),;:\[\]]+")
_PHONE = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.MULTILINE)


def _digits(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[phone]" if sum(ch.isdigit() for ch in text) >= 7 else text


def scrub(text: str, quoted: bool = True) -> str:
    """Text with emails, phone numbers and (when ``quoted``) quoted values replaced."""
    text = _INPUT_VALUE.sub("input_value=" + REDACTED, text)
    if quoted:
        text = _QUOTED.sub(lambda m: m.group(0)[0] + REDACTED + m.group(0)[0], text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub(_digits, text)


def _shaped(pattern: str) -> Callable[[Any], Any]:
    compiled = re.compile(pattern)
    return lambda v: v if isinstance(v, str) and compiled.fullmatch(v) else REDACTED


def _number(value: Any) -> Any:
    return value if isinstance(value, int | float) else REDACTED  # bool is an int


def _text(value: Any) -> Any:
    return scrub(value[:_TEXT_LIMIT]) if isinstance(value, str) else REDACTED


_UUID = r"[0-9A-Fa-f-]{8,64}"
_BATCH = r"b_[0-9a-f]{1,64}"
_CODE = _shaped(r"[a-z0-9_./{}:#-]{1,100}")


def _list_of(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: [check(v) for v in value] if isinstance(value, list | tuple) else REDACTED


# Every ``extra`` key a log line may carry, and what its value must look like.
ALLOWED: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(("request_id", "function_request_id", "message_id"), _shaped(_UUID)),
    "tenant_id": _shaped(r"t_[0-9a-f]{1,64}|anonymous"),
    "batch_id": _shaped(_BATCH),
    "function_name": _shaped(r"[A-Za-z0-9_.-]{1,140}"),
    "function_arn": _shaped(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_.:-]+"),
    "batches": _list_of(_shaped(_BATCH)),
    "schedule_id": _shaped(r"sc_[0-9a-f]{1,64}"),
    "delivery_id": _shaped(r"msg_[0-9a-f]{1,64}"),
    "batch_ids": _list_of(_shaped(_BATCH)),
    "subjects": _list_of(_shaped(rf"{_BATCH}|t_[0-9a-f]{{1,64}}")),  # batches, or tenants (credits.low)
    **dict.fromkeys(("redriven", "given_up", "dropped"), _list_of(_CODE)),
    "method": _shaped(r"GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"),
    **dict.fromkeys(("outcome", "status", "route", "handler", "queue", "error_code", "subject", "source"),
                    _CODE),
    **dict.fromkeys(("reason", "key"), _text),
    **dict.fromkeys((
        "chunk", "part", "rows", "chunks", "parked", "settled", "status_code", "duration_ms",
        "code", "ok", "resumed", "finalize_requested", "records", "failed", "cold_start",
        "function_memory_size", "resplit_chunks", "due_at", "attempt",
    ), _number),
}

# Attributes every LogRecord has (and the two the formatter adds): not ``extra`` keys.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "exception", "exception_name"}


def _message(record: logging.LogRecord) -> str:
    args = record.args
    if isinstance(args, tuple):
        args = tuple(REDACTED if isinstance(a, str) else _number(a) for a in args)
    elif isinstance(args, dict):
        args = {k: REDACTED if isinstance(a, str) else _number(a) for k, a in args.items()}
    msg = record.msg if isinstance(record.msg, str) else REDACTED
    try:
        text = msg % args if args else msg
    except (TypeError, ValueError):
        text = msg
    return scrub(text[:_TEXT_LIMIT], quoted=False)


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
Exc = tuple[type[BaseException], BaseException, TracebackType | None]


def exception_text(exc_info: Exc) -> str:
    """A traceback with every frame kept and every exception message scrubbed (causes too)."""
    chain: list[tuple[traceback.TracebackException, str]] = []
    current: traceback.TracebackException | None = traceback.TracebackException(*exc_info)
    link = ""
    while current is not None and len(chain) < 10:
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts: list[str] = []
    for exc, link in reversed(chain):
        parts.append("Traceback (most recent call last):\n" + "".join(exc.stack.format()))
        parts.append(scrub("".join(exc.format_exception_only())))
        parts.append(link)
    return "".join(parts)[-_EXCEPTION_LIMIT:]


class PersonalDataFilter(logging.Filter):
    """Rewrites every record so that no personal data can be in it (see the module's docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drops it."""
        for key in [k for k in vars(record) if k not in _STANDARD]:
            check = ALLOWED.get(key)
            setattr(record, key, check(getattr(record, key)) if check else REDACTED)
        record.msg, record.args = _message(record), None
        if isinstance(record.exc_info, tuple) and record.exc_info[1] is not None:
            record.exception = exception_text(record.exc_info)
            record.exception_name = record.exc_info[0].__name__
        elif "exception" in vars(record):
            record.exception = scrub(str(vars(record)["exception"]))
        record.exc_info, record.exc_text = None, None
        return True
