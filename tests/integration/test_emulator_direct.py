"""The emulator's direct path (``emulator_direct``) answers DynamoDB and SQS exactly as moto's Flask
apps do: the same requests, from botocore, give the same statuses, headers and bodies either way,
errors and cancelled transactions included, and never reach Flask."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from flask import Flask
from moto.core.botocore_stubber import MockRawResponse
from werkzeug.test import Client

from chalicelib.local import moto_fixes
from chalicelib.local.emulator_direct import Direct
from chalicelib.local.emulator_server import Dispatcher

Answer = tuple[int, list[tuple[str, str]], str]
_RANDOM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9+/=]{40,}"
                     r"|\b1[0-9]{9}(\.[0-9]+)?\b")  # ids, receipt handles, times
_VARYING = {"x-amzn-requestid", "x-amz-crc32", "date"}


def _shown(name: str, value: str, body: bytes) -> str:
    """A header as compared: ids and times masked; a length that is its body's (a time's digits
    vary from one answer to the next) as such."""
    if name.lower() == "content-length" and value == str(len(body)):
        return "the body's"
    return _RANDOM.sub("*", value)


def _transport(app: Any, answers: list[Answer]) -> Callable[..., AWSResponse]:
    """A botocore ``before-send`` hook: the request to ``app`` in-process, its answer recorded."""
    web = Client(app)

    def send(request: Any, **_: Any) -> AWSResponse:
        path = request.url.split("localhost:5000", 1)[1] or "/"
        sent = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        got = web.open(path, method=request.method, headers=sent, data=request.body)
        body = got.get_data()
        headers = sorted((k.lower(), _shown(k, v, body)) for k, v in got.headers.items()
                         if k.lower() not in _VARYING)
        answers.append((got.status_code, headers, _RANDOM.sub("*", body.decode())))
        answered: Any = dict(got.headers)
        return AWSResponse(request.url, got.status_code, answered, MockRawResponse(body))

    return send


def _conversation(app: Any) -> list[Answer]:
    """Tables, items, a refused condition, a cancelled transaction, a queue's messages, errors."""
    answers: list[Answer] = []
    session = botocore.session.get_session()
    clients: dict[str, Any] = {
        name: session.create_client(name, region_name="us-east-1", endpoint_url="http://localhost:5000",
                                    aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in ("dynamodb", "sqs")}
    for client in clients.values():
        client.meta.events.register("before-send", _transport(app, answers))
    db, sqs = clients["dynamodb"], clients["sqs"]
    db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    db.put_item(TableName="t", Item={"k": {"S": "a"}, "n": {"N": "1"}, "s": {"SS": ["x", "y"]}})
    db.get_item(TableName="t", Key={"k": {"S": "a"}}, ConsistentRead=True)
    refused_add = {"TableName": "t", "Key": {"k": {"S": "a"}}, "UpdateExpression": "ADD n :one",
                   "ConditionExpression": "n > :one", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                   "ExpressionAttributeValues": {":one": {"N": "1"}}}
    refusals: list[Callable[[], Any]] = [
        lambda: db.update_item(**refused_add),
        lambda: db.transact_write_items(TransactItems=[
            {"Put": {"TableName": "t", "Item": {"k": {"S": "b"}}}}, {"Update": refused_add}]),
        lambda: db.get_item(TableName="missing", Key={"k": {"S": "a"}}),
        lambda: sqs.get_queue_url(QueueName="missing")]
    for call in refusals:
        with pytest.raises(Exception, match=r"ConditionalCheckFailed|TransactionCanceled|ResourceNotFound|"
                                            r"NonExistentQueue|QueueDoesNotExist"):
            call()
    db.query(TableName="t", KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": {"S": "a"}})
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{n}"} for n in range(3)])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in got])
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return answers


@pytest.fixture
def flask_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the requests that reached a Flask app."""
    calls: list[str] = []
    through = Flask.wsgi_app

    def counted(self: Flask, environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(str(environ.get("PATH_INFO")))
        return through(self, environ, start_response)

    monkeypatch.setattr(Flask, "wsgi_app", counted)
    moto_fixes.apply()
    yield calls
    Client(Dispatcher()).post("/moto-api/reset")


def test_dynamodb_and_sqs_answer_the_same_without_flask(flask_calls: list[str]) -> None:
    through_flask = Dispatcher()
    Client(through_flask).post("/moto-api/reset")
    flask_calls.clear()
    before = _conversation(through_flask)
    reached = len(flask_calls)
    Client(through_flask).post("/moto-api/reset")
    flask_calls.clear()

    direct = Dispatcher()
    after = _conversation(Direct(direct, direct.get_application))

    assert reached == len(before) == 13
    assert flask_calls == []  # not one of them reached Flask
    assert after == before
    assert ("access-control-allow-origin", "*") in after[0][1]  # flask-cors's header, kept
