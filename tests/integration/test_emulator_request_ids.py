"""Every answer still carries its request id; only a body with a ``<RequestId>`` element is
scanned to write it in (``moto_requests``): the JSON protocols' answers (a receive of chunk
messages: hundreds of kilobytes) are not searched character by character."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.clients import get_clients

_SCAN = r"(?<=<RequestId>).*(?=<\/RequestId>)"  # moto's search for the element


@pytest.fixture()
def scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The length of every body moto scans for a ``<RequestId>`` element."""
    seen: list[int] = []
    substitute = re.sub

    def counting(pattern: Any, replacement: Any, text: Any, *args: Any, **kwargs: Any) -> Any:
        if pattern == _SCAN:
            seen.append(len(text))
        return substitute(pattern, replacement, text, *args, **kwargs)

    monkeypatch.setattr(re, "sub", counting)
    yield seen


@pytest.mark.usefixtures("aws")
def test_a_receive_of_chunk_messages_is_not_scanned_and_keeps_its_request_id(scans: list[int]) -> None:
    client = get_clients().sqs
    url = client.create_queue(QueueName="scanned")["QueueUrl"]
    body = json.dumps({"rows": [{"i": n, "v": ["García", f"+44 20 7946 {n:04d}"]} for n in range(500)]})
    client.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": body} for n in range(4)])

    received = client.receive_message(QueueUrl=url, MaxNumberOfMessages=4)

    assert [m["Body"] for m in received["Messages"]] == [body] * 4
    assert received["ResponseMetadata"]["RequestId"]
    assert set(scans) <= {0}  # no body of the answers was scanned (an empty stand-in at most)


def test_an_answer_with_the_element_gets_the_request_id_written_in() -> None:
    from moto.core.responses import BaseResponse

    from chalicelib.local import moto_requests

    moto_requests.apply()
    answered: dict[str, Any] = {"status": 404}
    headers, body = BaseResponse._enrich_response(
        answered, "<Error><Code>NoSuchKey</Code><RequestId>example</RequestId></Error>")

    assert headers["status"] == "404"
    assert body == (f"<Error><Code>NoSuchKey</Code><RequestId>{headers['x-amzn-requestid']}"
                    "</RequestId></Error>")
    json_headers, json_body = BaseResponse._enrich_response({}, '{"Messages": []}')
    assert json_body == '{"Messages": []}' and json_headers["x-amzn-requestid"]
