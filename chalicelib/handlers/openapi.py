"""The OpenAPI 3.1 document of the REST API, built from the routes' declarations
(``handlers/declare.py``) and the pydantic models they validate with; ``make openapi``
writes it to ``docs/openapi.json``; ``GET /v1/openapi.json`` serves it."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.handlers.declare import DECLARED, Answer, Operation
from chalicelib.handlers.responses import ErrorBody

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "none": [], "tenant": [{"tenantKey": []}], "admin": [{"adminKey": []}],
    "tenant_or_upload": [{"tenantKey": []}, {"uploadToken": []}],
    "tenant_or_anonymous": [{"tenantKey": []}, {}],
}
SCHEMES = {
    "tenantKey": {"type": "http", "scheme": "bearer", "description": "A tenant's API key."},
    "adminKey": {"type": "http", "scheme": "bearer", "description": "The admin key."},
    "uploadToken": {"type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "'Batch <upload_token>' of an unclaimed anonymous upload."},
}
HEADERS = {"Location": {"description": "The file's signed link.", "schema": {"type": "string"}},
           "ETag": {"description": "The file's version.", "schema": {"type": "string"}},
           "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}


def document() -> dict[str, Any]:
    """The whole document: every declared route, the schemas of its models, the error shape."""
    operations = sorted(DECLARED.values(), key=lambda op: (op.path, op.method))
    refs, components = _schemas(operations)
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "batch-enrich", "version": "1",
                 "description": "Batch data enrichment: upload a file, watch it, download the "
                                "results. Every 4xx answers the one error shape (ErrorBody)."},
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items())), "securitySchemes": SCHEMES},
    }


def _schemas(operations: list[Operation]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: set[tuple[type[BaseModel], Mode]] = {(ErrorBody, "serialization")}
    for op in operations:
        wanted |= {(m, "validation") for m in (op.query, op.body, op.form) if m is not None}
        wanted |= {(m, "serialization") for a in op.responses.values() if (m := a.model_class())}
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, top = models_json_schema(ordered, ref_template=REF)
    return dict(refs), dict(top.get("$defs", {}))


def _operation(op: Operation, refs: dict[Any, Any], components: dict[str, Any]) -> dict[str, Any]:
    error = {"description": "Refused: the body says what to fix.",
             "content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}}
    body: dict[str, Any] = {
        "operationId": f"{op.method.lower()}_{_slug(op.path)}",
        "summary": op.summary.split(". ")[0].split(": ")[0][:120],
        "description": op.summary, "tags": [_tag(op.path)],
        "security": SECURITY[op.auth],
        "parameters": _path_parameters(op.path) + _query_parameters(op, refs, components),
        "responses": {str(code): _answer(answer, refs) for code, answer in sorted(op.responses.items())}
        | {"4XX": error},
    }
    content = _content(op, refs, components)
    if content:
        body["requestBody"] = {"required": op.body_required, "content": content}
    return body


def _answer(answer: Answer, refs: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    model = answer.model_class()
    if model is not None:
        out["content"] = {answer.media_type: {"schema": refs[(model, "serialization")]}}
    elif answer.media_type != "application/json":
        out["content"] = {answer.media_type: {"schema": {"type": "string"}}}
    if answer.headers:
        out["headers"] = {name: HEADERS[name] for name in answer.headers}
    return out


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": 200}} for name in names]


def _query_parameters(op: Operation, refs: dict[Any, Any],
                      components: dict[str, Any]) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = _resolve(refs[(op.query, "validation")], components)
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required,
             "schema": _not_null(prop)} for name, prop in schema.get("properties", {}).items()]


def _content(op: Operation, refs: dict[Any, Any], components: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if op.form is not None:
        form = json.loads(json.dumps(_resolve(refs[(op.form, "validation")], components)))
        form["properties"]["file"] = {"type": "string", "contentMediaType": "text/csv",
                                      "description": "The CSV file."}
        form["required"] = [*form.get("required", []), "file"]
        form.pop("title", None)
        encoding = {name: {"contentType": "application/json"}
                    for name, prop in form["properties"].items() if _is_structured(prop)}
        content["multipart/form-data"] = {"schema": form} | ({"encoding": encoding} if encoding else {})
    if op.body is not None:
        content["application/json"] = {"schema": refs[(op.body, "validation")]}
    return content


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return dict(components[ref.rsplit("/", 1)[-1]]) if ref else schema


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value, never null."""
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        prop = {k: v for k, v in prop.items() if k != "anyOf"} | options[0]
    return {k: v for k, v in prop.items() if not (k == "default" and v is None)}


def _is_structured(prop: dict[str, Any]) -> bool:
    options = prop.get("anyOf", [prop])
    return any(o.get("type") in ("object", "array") or "$ref" in o for o in options)


def _slug(path: str) -> str:
    return "_".join(part.strip("{}").replace(".", "_").replace("-", "_")
                    for part in path.split("/") if part and part != "v1") or "root"


def _tag(path: str) -> str:
    parts = [part for part in path.split("/") if part and part != "v1"]
    return parts[0].split(".")[0] if parts else "root"


def render() -> str:
    """The document as ``docs/openapi.json`` holds it (``make openapi`` writes it; the routes'
    modules must be imported first, as ``app`` does)."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
