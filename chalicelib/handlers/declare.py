"""What each route takes and answers, declared where the route is registered: the OpenAPI
document (``handlers/openapi.py``) is built from these declarations and nothing else.

A route states its caller (``auth``), its query model, its body (a JSON model, a multipart form
model with a ``file`` part, or both for routes that take either) and each success answer; every
route also answers the one error shape (``responses.ErrorBody``) for a 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

Auth = Literal["none", "tenant", "admin", "tenant_or_upload", "tenant_or_anonymous"]


@dataclass(frozen=True)
class Answer:
    """One success answer: a JSON model, HTML or nothing, and the headers it carries.

    ``model`` may name a model of ``handlers/responses.py`` or ``handlers/door_responses.py``
    instead: those modules load with the document, not with every sandbox's ``import app``
    (their ~40 classes were ~7% of the API's cold start).
    """

    description: str
    model: type[BaseModel] | str | None = None
    media_type: str = "application/json"
    headers: tuple[str, ...] = ()

    def model_class(self) -> type[BaseModel] | None:
        """The answer's model, a name looked up in the response modules."""
        if not isinstance(self.model, str):
            return self.model
        from chalicelib.handlers import door_responses, responses

        found = getattr(responses, self.model, None) or getattr(door_responses, self.model, None)
        if not (isinstance(found, type) and issubclass(found, BaseModel)):
            raise LookupError(f"no response model named {self.model}")
        return found


@dataclass(frozen=True)
class Operation:
    """One method of one path, as the document shows it."""

    method: str
    path: str
    summary: str
    auth: Auth
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    form: type[BaseModel] | None
    body_required: bool
    responses: dict[int, Answer] = field(default_factory=dict)


DECLARED: dict[tuple[str, str], Operation] = {}


def declare(path: str, methods: list[str], view: Any, spec: dict[str, Any]) -> None:
    """Record a route's declaration (the ``ApiRoutes.route`` keywords ``auth``, ``query``,
    ``body``, ``form``, ``body_required``, ``responses``) for every method it takes."""
    doc = (view.__doc__ or view.__name__).strip()
    for method in methods:
        DECLARED[(path, method)] = Operation(
            method=method, path=path, summary=" ".join(doc.split()),
            auth=spec.get("auth", "tenant"), query=spec.get("query"), body=spec.get("body"),
            form=spec.get("form"),
            body_required=spec.get("body_required", bool(spec.get("body") or spec.get("form"))),
            responses=dict(spec["responses"]))


KEYWORDS = ("auth", "query", "body", "form", "body_required", "responses")


def split_keywords(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A route's keywords as (Chalice's, the declaration's); no ``responses``: no declaration."""
    spec = {key: kwargs.pop(key) for key in KEYWORDS if key in kwargs}
    return kwargs, spec
