"""The emulator's CPU a request, by kind: a fresh emulator of this tree, one client, a loop of each.

``python -m chalicelib.local.request_probe [--repeats N] [--out F]`` starts an emulator, provisions
the topology, makes a tenant and a batch as the service stores them, then sends each kind of
request the work path sends (the settle transaction as the adapter writes it, with its counters,
shape and ledger line; the batch's GetItem; a part's PutObject and GetObject; an empty receive;
GetQueueAttributes; GetQueueUrl) ``--repeats`` times after a few to warm up, and prints the
emulator process's CPU (user + system, from /proc) a request of each kind, and the client's
(this process's thread: botocore). Compare trees by running it from each, interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_WARM = 20
_PART_BYTES = 150_000  # a 100-row part object of the generated leads file is ~135 KB
Sender = Callable[[int], Any]


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(pid: int, repeats: int, send: Sender) -> dict[str, float]:
    for n in range(_WARM):
        send(-1 - n)
    before, client = _cpu_of(pid), time.thread_time()
    for n in range(repeats):
        send(n)
    return {"emulator_ms": round(1000 * (_cpu_of(pid) - before) / repeats, 3),
            "client_ms": round(1000 * (time.thread_time() - client) / repeats, 3)}


def _senders(ports: Any, clients: Any, settings: Any, urls: dict[str, str]) -> dict[str, Sender]:
    from chalicelib import keys
    from chalicelib.local.probe_books import books, settle_request

    batch = books(ports)
    body = os.urandom(_PART_BYTES // 2).hex().encode()
    bucket, part_key = settings.bucket, keys.WORK_PREFIX + "probe/part.jsonl"
    s3, sqs = clients.s3, clients.sqs
    s3.put_object(Bucket=bucket, Key=part_key, Body=body)
    queue = next(iter(urls.values()))
    return {
        "dynamodb.TransactWriteItems (settle)": lambda n: ports.settlement.settle(settle_request(batch, n)),
        "dynamodb.GetItem (batch)": lambda n: ports.batches.get(batch.tenant_id, batch.batch_id),
        "s3.PutObject (part)": lambda n: s3.put_object(Bucket=bucket, Key=part_key, Body=body),
        "s3.GetObject (part)": lambda n: s3.get_object(Bucket=bucket, Key=part_key)["Body"].read(),
        "sqs.ReceiveMessage (empty)": lambda n: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10),
        "sqs.GetQueueAttributes": lambda n: sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]),
        "sqs.GetQueueUrl": lambda n: sqs.get_queue_url(QueueName=queue.rsplit("/", 1)[-1]),
    }


def probe(repeats: int) -> dict[str, Any]:
    """Start an emulator, send each kind of request ``repeats`` times; CPU a request of each."""
    from chalicelib.clients import get_clients, reset_clients
    from chalicelib.local.emulator import Emulator
    from chalicelib.local.provision import provision
    from chalicelib.services.ports import build_ports
    from chalicelib.settings import get_settings

    emulator = Emulator().start()
    try:
        os.environ.update(emulator.environment())
        reset_clients()
        clients, settings = get_clients(), get_settings()
        urls = provision(clients, settings)
        senders = _senders(build_ports(clients, settings), clients, settings, urls)
        assert emulator.pid is not None
        figures = {name: _measure(emulator.pid, repeats, send) for name, send in senders.items()}
    finally:
        emulator.stop()
    return {"repeats": repeats, "load": os.getloadavg()[0], "requests": figures}


def main(argv: list[str] | None = None) -> None:
    """Print (and with --out write) the figures as JSON."""
    parser = argparse.ArgumentParser(prog="request_probe")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    figures = probe(args.repeats)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
