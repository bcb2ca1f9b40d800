"""The emulator's CPU by request kind: what each AWS request costs the local runtime's stand-in.

A WSGI middleware around the emulator's application counts every request by its operation
(``dynamodb.GetItem``, ``sqs.ReceiveMessage``, ``s3.PutObject`` …) and the CPU its thread spent
inside the application (moto's dispatch, the backend, the response), and answers
``GET /_emulator/costs`` with the figures so far (``DELETE`` starts them again). What the
server spends outside the application (waitress reading requests and writing answers, its
threads' hand-offs) is the process's CPU minus the requests' own: the bench reports both.
"""

from __future__ import annotations

import json
import resource
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
COSTS_PATH = "/_emulator/costs"


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _s3_operation(method: str, path: str, query: str) -> str:
    """S3's operation from a path-style request (``/bucket`` or ``/bucket/key``)."""
    on_object = path.strip("/").count("/") > 0
    if method == "PUT" and on_object:
        return "UploadPart" if "partNumber=" in query else "PutObject"
    if method == "POST" and on_object:
        return "CreateMultipartUpload" if "uploads" in query else "CompleteMultipartUpload"
    if method == "GET":
        return "GetObject" if on_object else "ListObjectsV2"
    return f"{method.title()}{'Object' if on_object else 'Bucket'}"


def operation(environ: dict[str, Any]) -> str:
    """``service.Operation`` of a request, as the bench's request counts name it."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target.startswith("DynamoDB_"):
        return "dynamodb." + target.rsplit(".", 1)[-1]
    if target.startswith("AmazonSQS."):
        return "sqs." + target.rsplit(".", 1)[-1]
    if target:
        return target
    return "s3." + _s3_operation(str(environ.get("REQUEST_METHOD", "")),
                                 str(environ.get("PATH_INFO", "")), str(environ.get("QUERY_STRING", "")))


class Costed:
    """WSGI middleware: each request's CPU inside the application, by operation."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._calls: dict[str, list[float]] = {}  # operation -> [requests, CPU seconds]
        self._since = _process_cpu()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == COSTS_PATH:
            return self._answer(environ, start_response)
        started = time.thread_time()
        try:
            return list(self._app(environ, start_response))
        finally:
            spent = time.thread_time() - started
            name = operation(environ)
            with self._lock:
                held = self._calls.setdefault(name, [0, 0.0])
                held[0] += 1
                held[1] += spent

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if environ.get("REQUEST_METHOD") == "DELETE":
                self._calls, self._since = {}, _process_cpu()
            body = json.dumps(self.figures()).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    def figures(self) -> dict[str, Any]:
        """Requests and CPU seconds by operation, and the process's CPU, since the last reset."""
        return {"process_cpu_seconds": round(_process_cpu() - self._since, 4),
                "requests": {name: {"count": int(n), "cpu_seconds": round(cpu, 4)}
                             for name, (n, cpu) in sorted(self._calls.items())}}


def _ask(endpoint: str, method: str) -> dict[str, Any]:
    from urllib.request import Request, urlopen

    with urlopen(Request(endpoint.rstrip("/") + COSTS_PATH, method=method), timeout=10) as answer:
        figures: dict[str, Any] = json.loads(answer.read())
    return figures


def reset_costs(endpoint: str) -> None:
    """Start the emulator's figures from zero."""
    _ask(endpoint, "DELETE")


def read_costs(endpoint: str) -> dict[str, Any]:
    """The emulator's CPU by operation since the last reset: each operation's requests and CPU
    milliseconds a request inside moto; ``outside_requests`` is the server's own CPU (reading
    requests, writing answers) spread over every request."""
    figures = _ask(endpoint, "GET")
    requests = figures["requests"]
    inside = sum(held["cpu_seconds"] for held in requests.values())
    count = sum(held["count"] for held in requests.values())
    outside = max(0.0, figures["process_cpu_seconds"] - inside)
    return {
        "cpu_seconds": figures["process_cpu_seconds"], "requests": count,
        "by_operation": {name: {"count": held["count"], "cpu_seconds": held["cpu_seconds"],
                                "ms_each": round(1000 * held["cpu_seconds"] / held["count"], 3)}
                         for name, held in requests.items() if held["count"]},
        "outside_requests": {"cpu_seconds": round(outside, 3),
                             "ms_each": round(1000 * outside / count, 3) if count else 0.0},
    }
