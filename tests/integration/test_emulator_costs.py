"""The emulator's CPU by request kind (the bench's figures): every request counted under its name."""

from __future__ import annotations

import pytest

from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator
from chalicelib.local.emulator_costs import read_costs, reset_costs


def test_each_request_is_counted_under_its_operation_with_the_cpu_it_took(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    clients = get_clients()
    clients.s3.create_bucket(Bucket="costs")
    queue = clients.sqs.create_queue(QueueName="costs")["QueueUrl"]
    reset_costs(emulator.endpoint)

    for n in range(3):
        clients.s3.put_object(Bucket="costs", Key=f"work/p{n}.jsonl", Body=b"x" * 1000)
    clients.s3.get_object(Bucket="costs", Key="work/p0.jsonl")["Body"].read()
    clients.sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    clients.dynamodb.list_tables()
    costs = read_costs(emulator.endpoint)

    counts = {name: held["count"] for name, held in costs["by_operation"].items()}
    assert counts == {"s3.PutObject": 3, "s3.GetObject": 1, "sqs.ReceiveMessage": 1,
                      "dynamodb.ListTables": 1}
    assert costs["requests"] == 6
    assert all(held["cpu_seconds"] > 0 for held in costs["by_operation"].values())
    assert costs["cpu_seconds"] >= sum(h["cpu_seconds"] for h in costs["by_operation"].values())
    reset_costs(emulator.endpoint)
    assert read_costs(emulator.endpoint)["requests"] == 0
