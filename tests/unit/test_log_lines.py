"""What a log line holds: the step's correlation ids, never personal data, as JSON or as text."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pydantic import BaseModel

from chalicelib.local.devserver import LoggedHTTPServer
from chalicelib.observability import bind, correlated, current, fresh, local_logger, logger
from chalicelib.observability.formats import SERIALIZERS, use_format

BATCH, TENANT, REQUEST = "b_0190aa01bc", "t_00ff00ff00ff00ff", "5b0c61f2-7d6e-4c1e-9d0a-111122223333"
PERSON = {"name": "Thaddeus Okonkwo", "email": "thaddeus.okonkwo@example.org"}


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


class _Row(BaseModel):
    i: int


def test_values_of_unknown_keys_string_arguments_emails_and_phones_never_reach_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger.info("row %s of %d", "Marguerite Vandersloot", 3,
                extra={"row": {"email": "m.v@gmail.com"}, "rows": 3, "batch_id": "m.v@gmail.com",
                       "reason": "cell 'Marguerite' or m.v@gmail.com or +1 (415) 555-0134"})

    [line] = _lines(capsys)
    assert line["message"] == "row [redacted] of 3"
    assert line["row"] == "[redacted]" and line["rows"] == 3 and line["batch_id"] == "[redacted]"
    assert line["reason"] == "cell '[redacted]' or [email] or [phone]"


def test_an_exception_keeps_its_frames_and_loses_the_values_in_its_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def parse_row() -> None:
        try:
            _Row.model_validate({"i": PERSON["email"]})
        except ValueError as exc:
            raise KeyError(PERSON["name"]) from exc

    try:
        parse_row()
    except KeyError:
        logger.exception("record failed")

    [line] = _lines(capsys)
    assert line["exception_name"] == "KeyError"
    trace = line["exception"]
    assert "in parse_row" in trace and "_Row.model_validate" in trace  # the frames, as code
    assert "direct cause" in trace and "input_value=[redacted]" in trace
    assert "Thaddeus" not in trace and "okonkwo" not in trace.lower()


def test_lines_carry_the_ids_of_their_step_and_nested_steps_restore_the_outer_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bind(batch_id=BATCH)  # outside any step: nothing to scope it to
    with fresh(request_id=REQUEST, tenant_id=TENANT):
        bind(batch_id=BATCH)
        with correlated(chunk=4, part=1):
            logger.info("inner")
        logger.info("outer")
    logger.info("after")

    inner, outer, after = _lines(capsys)
    assert (inner["request_id"], inner["tenant_id"], inner["batch_id"], inner["chunk"]) == (
        REQUEST, TENANT, BATCH, 4)
    assert outer["batch_id"] == BATCH and "chunk" not in outer
    assert "batch_id" not in after and current() == {}


def test_threads_never_see_each_others_ids() -> None:
    seen: dict[str, dict[str, Any]] = {}
    started = threading.Barrier(2)

    def step(name: str, batch_id: str) -> None:
        with fresh(batch_id=batch_id):
            started.wait()
            seen[name] = current()

    threads = [threading.Thread(target=step, args=(n, b)) for n, b in (("a", "b_0a"), ("b", "b_0b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == {"a": {"batch_id": "b_0a"}, "b": {"batch_id": "b_0b"}}


def test_text_lines_read_as_time_level_message_and_fields(capsys: pytest.CaptureFixture[str]) -> None:
    use_format(logger.handlers, "text")
    try:
        with fresh(batch_id=BATCH, chunk=2):
            logger.warning("parked", extra={"parked": 7})
    finally:
        use_format(logger.handlers, "json")

    [line] = capsys.readouterr().err.splitlines()
    assert " WARNING parked  " in line and f"parked=7 batch_id={BATCH} chunk=2" in line
    assert SERIALIZERS["json"]({"a": "é"}) == '{"a":"é"}'


def test_the_local_server_logs_a_failed_request_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a client that gave up before its answer (under load: a readiness probe's timeout)
    server = LoggedHTTPServer.__new__(LoggedHTTPServer)  # no socket: only its error handling
    local_logger.setLevel("DEBUG")
    for failure in (BrokenPipeError(32, "Broken pipe"), ValueError("ann@example.com")):
        try:
            raise failure
        except Exception:
            server.handle_error(None, ("127.0.0.1", 40000))
    # THEN no dashed traceback on standard error: JSON lines, the address scrubbed
    local_logger.setLevel("INFO")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["message"] for line in lines] == [
        "http client closed the connection before its answer", "http request failed in the local server"]
    assert lines[1]["exception_name"] == "ValueError" and "ann@example.com" not in json.dumps(lines)
