"""HTTP plumbing for the routes: one error shape, JSON and multipart bodies, auth headers."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.domain.errors import (
    BadInput,
    DomainError,
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import (
    MAX_JSON_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_OPTIONS_BYTES,
    MAX_QUERY_VALUE_CHARS,
    json_depth,
)
from chalicelib.handlers.declare import declare, split_keywords
from chalicelib.observability import bind, correlation
from chalicelib.services.ports import get_ports

Model = TypeVar("Model", bound=BaseModel)
View = TypeVar("View", bound=Callable[..., Any])


def request_id(request: Request) -> str:
    """The request's id, as its log lines and its ``X-Request-Id`` header carry it."""
    return correlation.request_id() or str((request.context or {}).get("requestId") or uuid.uuid4())


def error_response(request: Request, error: DomainError) -> Response:
    """The one error body: ``{error, message, details, request_id}`` plus the error's extras."""
    body: dict[str, Any] = {
        "error": error.code, "message": error.message, "details": error.details,
        "request_id": request_id(request),
    }
    body.update({k: v for k, v in error.details.items() if k.startswith("credits_")})
    if isinstance(error, InvalidRequest):
        body["detail"] = error.details.get("detail") or [
            {"loc": [error.details.get("field", "body")], "msg": error.message, "type": "value_error"}
        ]
    headers: dict[str, str | list[str]] = {}
    if "allow" in error.details:
        headers["Allow"] = str(error.details["allow"])
    if "retry_after" in error.details:
        body["retry_after"] = error.details["retry_after"]
        headers["Retry-After"] = str(error.details["retry_after"])
    return Response(body=body, status_code=error.status, headers=headers)


class ApiRoutes(Blueprint):
    """A blueprint whose every route answers a domain error in the one error shape.

    Chalice turns any exception a view raises into a bare 500 before an ``http`` middleware
    sees it (only its own ``ChaliceUnhandledError`` gets through, and domain errors must not
    depend on Chalice), so the mapping wraps each view as it is registered: one place for
    every route of every blueprint built from this class.
    """

    def route(self, path: str, **kwargs: Any) -> Callable[[View], View]:
        """Register a view like ``Blueprint.route``, its domain errors mapped to their 4xx, and
        record its declaration (``handlers/declare.py``: ``auth``, ``query``, ``body``, ``form``,
        ``responses``) for the OpenAPI document."""
        kwargs, spec = split_keywords(kwargs)
        register = super().route(path, **kwargs)

        def decorate(view: View) -> View:
            @functools.wraps(view)
            def answered(**params: Any) -> Any:
                try:
                    return view(**params)
                except DomainError as error:
                    return error_response(self.current_request, error)

            register(answered)
            if spec:
                declare(path, kwargs.get("methods", ["GET"]), view, spec)
            return view

        return decorate

    def tenant(self) -> str:
        """The tenant whose API key the current request carries (401, 429 otherwise)."""
        from chalicelib.services.tenants import tenant_request  # the service, on a route's first call

        tenant_id = tenant_request(get_ports(), self.current_request.headers.get("authorization"))
        bind(tenant_id=tenant_id)
        return tenant_id

    def query(self, model: type[Model]) -> Model:
        """The request's query string as ``model``: an unknown parameter is a 422, as an unknown
        body field is. Every view reads it (or calls ``no_query``) once its caller is
        authenticated, so a wrong key is a 401 whatever the query string says."""
        return query_model(self.current_request, model)

    def no_query(self) -> None:
        """Refuse any query parameter: the route takes none."""
        query_model(self.current_request, NoQuery)

    def no_body(self) -> None:
        """Refuse a body with any field: the route takes nothing, or an empty JSON object."""
        if (self.current_request.raw_body or b"").strip():
            parse_model(NoFields, json_body(self.current_request))


class NoQuery(LazyModel):
    """The query string of a route that takes no query parameter."""

    model_config = ConfigDict(extra="forbid")


class NoFields(LazyModel):
    """The body of a route that takes none (an empty JSON object at most)."""

    model_config = ConfigDict(extra="forbid")


def parse_model(model: type[Model], data: Any, where: tuple[str, ...] = ()) -> Model:
    """Validate data into a model, turning failures into a 422 with ``detail: [{loc, msg, type}]``.

    ``where`` prefixes each ``loc`` (``("query",)`` for a query parameter).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = [{"loc": [*where, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                  for e in exc.errors()]
        first = detail[0]
        name = ".".join(str(part) for part in first["loc"][len(where):]) or "body"
        message = f"{name}: {str(first['msg']).removeprefix('Value error, ')}"
        if first["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields) or "none"
            message = (f"{' '.join(where) or 'body'} {'parameter' if where else 'field'} {name!r} is "
                       f"unknown here; this route takes: {known}.")
        raise InvalidRequest(message, detail=detail) from exc


def query_model(request: Request, model: type[Model]) -> Model:
    """The query string as a model: each parameter once, at most ``MAX_QUERY_VALUE_CHARS`` long."""
    given: Any = request.query_params or {}
    values: dict[str, str] = {}
    for name in given:
        found = given.getlist(name) if hasattr(given, "getlist") else [given[name]]
        if len(found) > 1 or len(found[0]) > MAX_QUERY_VALUE_CHARS:
            raise InvalidRequest(
                f"Query parameter {name!r} must be given once, at most {MAX_QUERY_VALUE_CHARS} "
                "characters long.", field=name)
        values[name] = found[0]
    return parse_model(model, values, ("query",))


def json_body(request: Request, max_bytes: int = MAX_JSON_BODY_BYTES) -> Any:
    """The body parsed as JSON (at most ``max_bytes``, nested at most ``MAX_JSON_DEPTH`` deep),
    or a 4xx that says where it broke."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; this route takes at most "
                              f"{max_bytes} bytes of JSON.", max_bytes=max_bytes)
    if not raw.strip():
        raise BadInput("The request body is empty: send a JSON object.")
    return parse_json(raw, "The body")


def parse_json(text: str | bytes, what: str) -> Any:
    """JSON text as a value, or a 400 naming ``what`` when it is not JSON or nests too deep."""
    try:
        parsed = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise BadInput(f"{what} nests deeper than {MAX_JSON_DEPTH} levels.",
                       max_depth=MAX_JSON_DEPTH) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"{what} is not valid JSON: {exc}.") from exc
    if json_depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise BadInput(f"{what} nests deeper than {MAX_JSON_DEPTH} levels.",
                       max_depth=MAX_JSON_DEPTH)
    return parsed


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def content_type(request: Request) -> str:
    """The request's media type, lower-case, without parameters."""
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def wants_link(request: Request) -> bool:
    """The client asks for a file's link as JSON (``Accept: application/json`` alone), not a 302."""
    accepted = {part.split(";")[0].strip().lower()
                for part in (request.headers.get("accept") or "").split(",")}
    return accepted == {"application/json"}


def multipart_form(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A multipart/form-data body as (text fields, files: name -> (filename, bytes))."""
    header = request.headers.get("content-type") or ""
    if "boundary=" not in header:
        raise UnsupportedMediaType("multipart/form-data needs a boundary; let your client set it.")
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    from email import policy  # on first use: most requests are not multipart
    from email.parser import BytesParser

    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + header.encode("latin-1") + b"\r\n\r\n" + raw
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, data)
        else:
            fields[name] = data.decode("utf-8", errors="replace")
    return fields, files


def form_with_file(request: Request) -> tuple[dict[str, str], str, bytes]:
    """A multipart/form-data body's text fields, and the name and bytes of its ``file`` part."""
    fields, files = multipart_form(request)
    if "file" not in files:
        raise BadInput("Attach the CSV as the multipart field 'file'.", field="file")
    filename, data = files["file"]
    return fields, filename, data


def decode_json_fields(fields: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """Form fields as option values: the named ones hold JSON (objects, numbers).

    The fields together are at most ``MAX_OPTIONS_BYTES`` (413 beyond).
    """
    size = sum(len(key.encode()) + len(text.encode()) for key, text in fields.items())
    if size > MAX_OPTIONS_BYTES:
        raise PayloadTooLarge(f"The option fields are {size} bytes; at most {MAX_OPTIONS_BYTES} "
                              "are taken beside the file.", max_bytes=MAX_OPTIONS_BYTES)
    values: dict[str, Any] = {}
    for key, text in fields.items():
        if key not in names:
            values[key] = text
            continue
        try:
            values[key] = parse_json(text, key)
        except BadInput as exc:
            if "max_depth" in exc.details:  # JSON, but nested past the limit: as for a body, 400
                raise BadInput(exc.message, field=key, **exc.details) from exc
            raise InvalidRequest(f"{key}: must be JSON ({exc.message})", field=key) from exc
    return values
