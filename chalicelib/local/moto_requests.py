"""Fixes of ours to moto's CPU per request, same behaviour (the emulator and the tests run them).

Measured with the bench's ``emulator_cpu`` (docs/performance.md): every request paid for work
whose answer never changes, and a settle transaction (four conditional writes) paid most.

- Every request lists the handler class's methods with ``inspect.getmembers`` to check that
  the action exists (~7% of a cheap request's CPU). A class's methods do not change: here they
  are listed once per class.
- Every condition expression is lexed and parsed three times per write that carries it (the
  request's check for unused names, the transaction or the update, the update's own check):
  a quarter of a settle transaction's CPU. The parsed condition depends only on the
  expression, its names and its values, and is never changed once built (evaluating it reads
  the item): here each distinct (expression, names, values) is parsed once, and a parser that
  finds it remembered learns the names and values it uses as the parse would have told it.
- Every update expression is checked by ten tree walks, each asking at every node which node
  kinds it processes (a tuple built from a fresh dictionary per node): here each walk asks once.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import moto.core.responses as core_responses
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

_applied: list[str] = []
_PARSED_MOST = 10_000  # distinct conditions remembered (values vary: a cost, a limit)


def _methods_once() -> None:
    """List each response class's methods once (moto checks the action against them)."""
    listed = cache(getattr(core_responses, "method_names_from_class"))  # noqa: B009
    setattr(core_responses, "method_names_from_class", listed)  # noqa: B010 (moto's module global)


def _conditions_once() -> None:
    """Parse each distinct condition (expression, names, values) once."""
    parse = ConditionExpressionParser.parse
    parsed: dict[str, tuple[Any, list[str], list[str]]] = {}

    def remembered(self: ConditionExpressionParser) -> Any:
        if not self.condition_expression:
            return parse(self)
        key = json.dumps([self.condition_expression, self.expression_attribute_names,
                          self.expression_attribute_values], sort_keys=True)
        if key not in parsed:
            before = len(self.expr_attr_names_found), len(self.expr_attr_values_found)
            condition = parse(self)  # an invalid one raises here, every time
            if len(parsed) >= _PARSED_MOST:
                parsed.clear()
            parsed[key] = (condition, self.expr_attr_names_found[before[0]:],
                           self.expr_attr_values_found[before[1]:])
            return condition
        condition, names, values = parsed[key]
        self.expr_attr_names_found.extend(names)
        self.expr_attr_values_found.extend(values)
        return condition

    ConditionExpressionParser.parse = remembered  # type: ignore[method-assign]


def _walks_ask_once() -> None:
    """Each walk of an update expression's tree asks once which node kinds it processes."""

    def traverse(self: DepthFirstTraverser, node: Any) -> Any:
        kinds = self.nodes_to_be_processed()

        def walk(node: Any, child_id: int = -1) -> Any:
            if isinstance(node, Node):
                parent = node.parent
                if node.children is not None:
                    for index, child in enumerate(node.children):
                        self.pre_processing_of_child(node, index)
                        walk(child, index)
                if isinstance(node, kinds):
                    node = self.process(node)
                    node.parent = parent
                    if parent:
                        parent.children[child_id] = node
            return node

        return walk(node)

    DepthFirstTraverser.traverse = traverse


def apply() -> None:
    """Apply every fix once per process."""
    if _applied:
        return
    _methods_once()
    _conditions_once()
    _walks_ask_once()
    _applied.append("done")
