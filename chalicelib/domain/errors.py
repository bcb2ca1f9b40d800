"""Domain errors. Adapters turn AWS error codes into these; the API maps them to HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.models import Batch


class DomainError(Exception):
    """Base of every error a caller can act on; ``code`` is stable, ``message`` says what to fix."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadInput(DomainError):
    """The request or the file is malformed."""

    status = 400
    code = "bad_input"


class InvalidRequest(DomainError):
    """A well-formed request whose values do not validate."""

    status = 422
    code = "validation_error"


class UnsupportedMediaType(DomainError):
    """The body's content type is not one the route takes."""

    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(DomainError):
    """The body is over the route's limit."""

    status = 413
    code = "payload_too_large"


class Unauthorized(DomainError):
    """No credentials, or credentials that match nothing."""

    status = 401
    code = "unauthorized"


class NotFound(DomainError):
    """No such thing for this caller (also another tenant's: never a hint that it exists)."""

    status = 404
    code = "not_found"


class MethodNotAllowed(DomainError):
    """The path exists, the method does not (``allow`` names those it takes)."""

    status = 405
    code = "method_not_allowed"


class Conflict(DomainError):
    """The thing is not in a state that allows the request."""

    status = 409
    code = "conflict"


class InsufficientCredits(DomainError):
    """The balance (or the batch's cap) cannot cover what was asked."""

    status = 402
    code = "insufficient_credits"


class RateLimited(DomainError):
    """Too many requests from one tenant in one second."""

    status = 429
    code = "rate_limited"


# Outcomes of a refused settlement (the settle transaction's conditions), for the worker.


class AlreadySettled(Exception):
    """This part of a chunk was settled by another delivery: acknowledge and move on."""


class SettleConflict(Exception):
    """A concurrent writer touched the same items; retry the settlement."""


class BalanceChanged(Exception):
    """The tenant's balance no longer covers the cost; ``balance`` is what it is now."""

    def __init__(self, balance: int) -> None:
        super().__init__(balance)
        self.balance = balance


class BatchChanged(Exception):
    """The batch moved on (paused, resumed, cancelled, cap changed) since it was read."""

    def __init__(self, batch: Batch) -> None:
        super().__init__(batch.status)
        self.batch = batch
