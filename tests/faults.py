"""Faults injected through botocore, so the code under test meets them exactly as it would on AWS.

- ``kill(operation, when)``: the process dies right before a call is sent or right after its
  answer came back (the write happened, nobody saw it). ``Killed`` is a ``BaseException``, so
  no ``except Exception`` of the service catches it; and from then on every AWS call raises
  ``Killed`` too, so no ``finally`` of a dead process reaches AWS either (a SIGKILL runs
  nothing). ``revive()`` is the next process.
- ``fail(operation, code, times)``: AWS answers an error (throttling, a transaction conflict, an
  item over DynamoDB's size limit …) to that many calls; botocore raises it as it raises AWS's
  (after its own retries: ``times`` counts calls that failed through them).
- ``expire_in_flight()``: time passes until every message a dead process held is visible again
  (its heartbeat stopped; see ``handlers/heartbeat.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.clients import Clients

Match = Callable[[dict[str, Any]], bool]
_STATUS = {"ProvisionedThroughputExceededException": 400, "ThrottlingException": 400,
           "RequestLimitExceeded": 400, "ValidationException": 400,
           "TransactionCanceledException": 400, "InternalServerError": 500, "SlowDown": 503,
           "ServiceUnavailable": 503}
ITEM_TOO_LARGE = ("ValidationException", "Item size has exceeded the maximum allowed size")


class Killed(BaseException):
    """The process died at this point."""


@dataclass
class Rule:
    """One fault: where it strikes (``service.Operation`` and a match on the call's parameters)."""

    operation: str
    kind: str  # "before", "after" (process death) or "error"
    match: Match | None = None
    skip: int = 0  # matching calls let through first
    times: int = 1  # how many matching calls it strikes
    code: str = ""
    message: str = ""
    reasons: tuple[str, ...] = ()  # TransactionCanceledException: one code per transaction item

    def strikes(self, operation: str, params: dict[str, Any]) -> bool:
        """True when this call is one the rule strikes (counting it)."""
        if operation != self.operation or self.times <= 0:
            return False
        if self.match is not None and not self.match(params):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        self.times -= 1
        return True


class Faults:
    """Rules attached to the DynamoDB, SQS and S3 clients of one process's ``Clients``."""

    def __init__(self, clients: Clients) -> None:
        self.rules: list[Rule] = []
        self.dead = False
        self.injected: Counter[str] = Counter()
        self._receipts: dict[str, list[str]] = {}  # queue URL -> receipts of received messages
        self._sqs = clients.sqs
        for client in (clients.dynamodb, clients.sqs, clients.s3):
            events = client.meta.events
            events.register_first("before-parameter-build", self._before_parameters)
            events.register_first("before-call", self._before_call)  # type: ignore[arg-type]
            events.register("after-call", self._after_call)

    def kill(self, operation: str, when: str = "before", match: Match | None = None,
             skip: int = 0) -> Rule:
        """The process dies before (or after) the matching call."""
        return self._add(Rule(operation, when, match, skip))

    def fail(self, operation: str, code: str, message: str = "injected", times: int = 1,
             match: Match | None = None, skip: int = 0, reasons: tuple[str, ...] = ()) -> Rule:
        """The matching calls get this AWS error (botocore retries it if it would)."""
        return self._add(Rule(operation, "error", match, skip, times, code, message, reasons))

    def _add(self, rule: Rule) -> Rule:
        self.rules.append(rule)
        return rule

    def revive(self) -> None:
        """A new process: calls go through again."""
        self.dead = False

    def clear(self) -> None:
        """No more faults."""
        self.rules.clear()
        self.dead = False

    def _strike(self, kind: str, operation: str, params: dict[str, Any]) -> Rule | None:
        for rule in self.rules:
            if rule.kind == kind and rule.strikes(operation, params):
                self.injected[f"{kind} {operation}"] += 1
                return rule
        return None

    def _before_parameters(self, model: Any, params: dict[str, Any], context: dict[str, Any],
                           **_: Any) -> None:
        """Decide, from the call's own parameters, what strikes it (``context`` rides along)."""
        operation = f"{model.service_model.service_name}.{model.name}"
        if self.dead:
            raise Killed(operation)
        if self._strike("before", operation, params):
            self.dead = True
            raise Killed(f"before {operation}")
        context["injected_error"] = self._strike("error", operation, params)
        context["dies_after"] = self._strike("after", operation, params)
        context["queue_url"] = params.get("QueueUrl")

    def _before_call(self, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        """Answer the injected error instead of sending the call (botocore raises it as AWS's)."""
        rule: Rule | None = context.get("injected_error")
        return None if rule is None else _error_answer(rule)

    def _after_call(self, model: Any, context: dict[str, Any], parsed: Any = None, **_: Any) -> None:
        operation = f"{model.service_model.service_name}.{model.name}"
        if operation == "sqs.ReceiveMessage" and isinstance(parsed, dict):
            self._receipts.setdefault(str(context.get("queue_url")), []).extend(
                m["ReceiptHandle"] for m in parsed.get("Messages", []))
        if context.get("dies_after") is not None:
            self.dead = True
            raise Killed(f"after {operation}")

    def expire_in_flight(self) -> None:
        """Every message received so far and not deleted is visible again at once."""
        for url, receipts in self._receipts.items():
            for receipt in receipts:
                try:
                    self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt,
                                                        VisibilityTimeout=0)
                except Exception:  # deleted, or received again since: nothing to expire
                    continue
        self._receipts.clear()


@dataclass(frozen=True)
class _Http:
    status_code: int


def _error_answer(rule: Rule) -> tuple[_Http, dict[str, Any]]:
    """The (HTTP answer, parsed body) botocore makes of this AWS error."""
    parsed: dict[str, Any] = {"Error": {"Code": rule.code, "Message": rule.message},
                              "ResponseMetadata": {"HTTPStatusCode": _STATUS.get(rule.code, 400)}}
    if rule.reasons:
        parsed["CancellationReasons"] = [{"Code": code, "Message": code} for code in rule.reasons]
    return _Http(_STATUS.get(rule.code, 400)), parsed


def table_is(name: str) -> Match:
    """A match for calls on the table whose physical name ends with ``-{name}``."""
    return lambda params: str(params.get("TableName", "")).endswith(f"-{name}")


def transaction_touches(name: str) -> Match:
    """A match for transactions with an item in the table ``-{name}``."""
    def match(params: dict[str, Any]) -> bool:
        for item in params.get("TransactItems", []):
            for action in item.values():
                if str(action.get("TableName", "")).endswith(f"-{name}"):
                    return True
        return False

    return match


def settles_chunk(chunk: int) -> Match:
    """A match for a settle transaction of one chunk (any batch), alone or with other parts."""
    def match(params: dict[str, Any]) -> bool:
        for item in params.get("TransactItems", []):
            for action in item.values():
                if str(action.get("TableName", "")).endswith("-chunks"):
                    key = action.get("Key") or action.get("Item") or {}
                    if key.get("chunk") == {"N": str(chunk)}:
                        return True
        return False

    return match


def settles_together(params: dict[str, Any]) -> bool:
    """A match for a transaction that settles several chunk parts at once."""
    return sum(str(action.get("TableName", "")).endswith("-chunks")
               for item in params.get("TransactItems", []) for action in item.values()) > 1
