"""HTTP plumbing for the routes: one error shape, JSON and multipart bodies, auth headers."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from typing import Any, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import BadInput, DomainError, InvalidRequest, UnsupportedMediaType
from chalicelib.services.ports import get_ports
from chalicelib.services.tenants import tenant_request

Model = TypeVar("Model", bound=BaseModel)
View = TypeVar("View", bound=Callable[..., Any])


def request_id(request: Request) -> str:
    """API Gateway's request id, or a fresh one locally."""
    return str((request.context or {}).get("requestId") or uuid.uuid4())


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
        """Register a view like ``Blueprint.route``, its domain errors mapped to their 4xx."""
        register = super().route(path, **kwargs)

        def decorate(view: View) -> View:
            @functools.wraps(view)
            def answered(**params: Any) -> Any:
                try:
                    return view(**params)
                except DomainError as error:
                    return error_response(self.current_request, error)

            register(answered)
            return view

        return decorate

    def tenant(self) -> str:
        """The tenant whose API key the current request carries (401, 429 otherwise)."""
        return tenant_request(get_ports(), self.current_request.headers.get("authorization"))


def parse_model(model: type[Model], data: Any) -> Model:
    """Validate data into a model, turning failures into a 422 with ``detail: [{loc, msg, type}]``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        first = detail[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequest(f"{where}: {first['msg']}", detail=detail) from exc


def json_body(request: Request) -> Any:
    """The body parsed as JSON, or a 400 that says where it broke."""
    raw = request.raw_body or b""
    if not raw.strip():
        raise BadInput("The request body is empty: send a JSON object.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"The body is not valid JSON: {exc}.") from exc


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
    """Form fields as option values: the named ones hold JSON (objects, numbers)."""
    values: dict[str, Any] = {}
    for key, text in fields.items():
        if key in names:
            try:
                values[key] = json.loads(text)
            except ValueError as exc:
                raise InvalidRequest(f"{key}: must be JSON ({exc}).", field=key) from exc
        else:
            values[key] = text
    return values
