"""DynamoDB's and SQS's requests served by moto's handler without Flask's per-request machinery.

moto's server routes every request through a Flask app per service: a request context and an
application context pushed and popped, the URL matched against the service's rules, signals
sent, after-request functions run (flask-cors), and moto's ``convert_to_flask_response`` turns
the handler's ``(status, headers, body)`` into a response. For the JSON protocols (an
``X-Amz-Target`` header, ``POST /``: every DynamoDB and SQS request botocore sends) the rule and
the handler never change, so here the handler found once per service is called with the same
request object Flask would build, and its answer is made into the same response (status,
headers, body; flask-cors's ``Access-Control-Allow-Origin: *``, which it adds to every answer of
a request without ``Origin``). Anything else (S3, a browser's request with ``Origin``, a
preflight, a path other than ``/``) goes through Flask as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from moto.moto_api import recorder
from moto.moto_server.werkzeug_app import BackendRequest
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as AnyResponse

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Handler = Callable[[Any, str, dict[str, str]], Any]
_TARGETS = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs"}  # X-Amz-Target's prefix: service
_CORS = ("Access-Control-Allow-Origin", "*")  # flask-cors's defaults, for a request without Origin


def _service(environ: dict[str, Any]) -> str | None:
    """The service of a JSON-protocol request this module serves; None for every other."""
    if (environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/"
            or "HTTP_ORIGIN" in environ):
        return None
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    return _TARGETS.get(target.split(".", 1)[0]) if "." in target else None


def root_handler(app: Flask) -> Handler | None:
    """moto's handler of ``POST /`` in a service's Flask app (None when it has none)."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match("/", method="POST")
    except HTTPException:
        return None
    view = app.view_functions[endpoint]
    callback: Handler | None = getattr(view, "callback", None)  # convert_to_flask_response's
    return callback


class Direct:
    """WSGI app: JSON-protocol requests straight to moto's handler; the rest to ``apps``."""

    def __init__(self, apps: WsgiApp, app_of: Callable[[dict[str, Any]], Flask]) -> None:
        self._apps = apps
        self._app_of = app_of  # the service's Flask app for a request (moto's dispatcher)
        self._handlers: dict[str, Handler | None] = {}

    def _handler(self, service: str, environ: dict[str, Any]) -> Handler | None:
        if service not in self._handlers:
            self._handlers[service] = root_handler(self._app_of(environ))
        return self._handlers[service]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        service = _service(environ)
        handler = None if service is None else self._handler(service, environ)
        if handler is None:
            return self._apps(environ, start_response)
        request = BackendRequest(environ)
        response: AnyResponse
        try:
            response = answer(handler, request)
        except HTTPException as refused:  # as Flask answers one a handler raises
            response = Response.force_type(refused.get_response(environ), environ)
        response.headers.add(*_CORS)
        return response(environ, start_response)


def answer(handler: Handler, request: Any) -> Response:
    """moto's ``convert_to_flask_response`` without Flask's request context: the same response."""
    from botocore.exceptions import ClientError

    try:
        recorder._record_request(request)
        result = handler(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    status, headers, content = result if len(result) == 3 else (200, {}, result)
    return Response(response=content, status=status, headers=headers)
