"""The middleware every entry point runs in: its invocation's ids on every line, its metrics
written when it ends (EMF), its trace subsegment (X-Ray, on Lambda), one line per request.

Registered for every event type in ``app.py``. It binds what Powertools' ``inject_lambda_context``
would add (function name, ARN, memory, request id, cold start) but in the correlation context
rather than on the shared formatter: the local runtime runs the API, the ingest and finalize
pollers and the tick as threads of one process, and keys appended to the formatter would put
one invocation's ids on another's lines. An HTTP request also gets its ``request_id`` (API
Gateway's, which it returns as ``x-amzn-RequestId``; locally the invocation's), returned in an
``X-Request-Id`` header, carried by the queue messages it causes, and one access line.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Request, Response

from chalicelib.observability import fresh, logger, metrics
from chalicelib.observability.tracing import traced

_SHAPES = {"batch_id": re.compile(r"b_[0-9a-f]{1,64}"), "tenant_id": re.compile(r"t_[0-9a-f]{1,64}")}
_warm: set[str] = set()  # functions this process has run before (the rest start cold)


def invocation_ids(context: Any) -> dict[str, Any]:
    """The Lambda invocation's fields (None where the context lacks one)."""
    name = getattr(context, "function_name", None)
    cold = name not in _warm
    if name:
        _warm.add(name)
    return {"function_name": name, "function_request_id": getattr(context, "aws_request_id", None),
            "function_arn": getattr(context, "invoked_function_arn", None) or None,
            "function_memory_size": getattr(context, "memory_limit_in_mb", None), "cold_start": cold}


def _path_ids(request: Request) -> dict[str, str]:
    """Ids named in the path that have the shape of one (the path is the caller's text)."""
    params = request.uri_params or {}
    return {key: value for key, value in params.items()
            if key in _SHAPES and isinstance(value, str) and _SHAPES[key].fullmatch(value)}


def _request(request: Request, get_response: Callable[[Request], Response]) -> Response:
    context = request.lambda_context
    ids = invocation_ids(context)
    rid = str((request.context or {}).get("requestId") or ids["function_request_id"] or uuid.uuid4())
    route = (request.context or {}).get("resourcePath")
    with fresh(request_id=rid, **ids, **_path_ids(request)), metrics.measured(), \
            traced("## api_handler", route=route, method=request.method,
                   cold_start=ids["cold_start"]) as annotate:
        started = time.perf_counter()
        response = get_response(request)
        response.headers = {**(response.headers or {}), "X-Request-Id": rid}
        annotate("status_code", response.status_code)
        logger.info("request", extra={
            "method": request.method, "route": route, "status_code": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return response


def correlation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Run one invocation of any entry point inside its own correlation ids."""
    if isinstance(event, Request):
        return _request(event, get_response)
    ids = invocation_ids(getattr(event, "context", None))
    with fresh(**ids), metrics.measured(), \
            traced(f"## {ids['function_name'] or 'handler'}", cold_start=ids["cold_start"]):
        return get_response(event)
