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
- One of those walks counts an update's SET, REMOVE and ADD clauses at every node of the tree,
  each count a walk of the node's subtree. Only a node that is an ``UpdateExpression`` itself
  (the root, and one nested per further clause) holds clauses; the others (clauses, actions,
  paths, values) never do, so their counts could never refuse: here only those nodes count.
- Every update copies its parsed expression's tree with ``copy.deepcopy`` before the walks
  change it (15% of a settle transaction's CPU). A tree of moto's nodes holds only each node's
  type name, children and parent, its leaves strings and numbers: here such a tree is copied
  node by node; anything else (a node with another attribute, a child whose parent is not its
  node, a value that is neither text nor a number) is copied by ``copy.deepcopy`` as before.
- Every answer's body is searched by a regular expression for a ``<RequestId>`` element to
  write the request's id into: a scan with a lookbehind at every character of the body
  (~13 ms for a receive of four 500-row chunk messages; the JSON protocols' answers never have
  one). Here a body that does not contain ``<RequestId>`` (a search in C) is not scanned: the
  expression could match nothing in it. The id is made and put in the headers as before.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import moto.core.responses as core_responses
import moto.dynamodb.parsing.validators as validators
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DepthFirstTraverser,
    Node,
    UpdateExpression,
)
from moto.dynamodb.parsing.validators import ActionCountValidator

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
        # repr, not JSON: values are str, bool, bytes, lists and dicts, whose reprs are equal only
        # when they are (a key written in another order is a second entry, never a wrong one).
        key = repr((self.condition_expression, self.expression_attribute_names,
                    self.expression_attribute_values))
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


_NODE_CLASSES: dict[type, bool] = {}


def is_node(value: Any) -> bool:
    """``isinstance(value, Node)``, asked once per class (``Node`` is an ABC: each ask costs a call)."""
    kind = type(value)
    known = _NODE_CLASSES.get(kind)
    if known is None:
        known = _NODE_CLASSES[kind] = isinstance(value, Node)
    return known


def _walks_ask_once() -> None:
    """Each walk of an update expression's tree asks once which node kinds it processes."""

    def traverse(self: DepthFirstTraverser, node: Any) -> Any:
        kinds = self.nodes_to_be_processed()
        processed: dict[type, bool] = {}  # isinstance(node, kinds), by the node's class

        def walk(node: Any, child_id: int = -1) -> Any:
            if is_node(node):
                parent = node.parent
                if node.children is not None:
                    for index, child in enumerate(node.children):
                        self.pre_processing_of_child(node, index)
                        walk(child, index)
                kind = type(node)
                if kind not in processed:
                    processed[kind] = isinstance(node, kinds)
                if processed[kind]:
                    node = self.process(node)
                    node.parent = parent
                    if parent:
                        parent.children[child_id] = node
            return node

        return walk(node)

    DepthFirstTraverser.traverse = traverse


def _clauses_counted_where_they_are() -> None:
    """Count an update's clauses only at the nodes that hold clauses."""
    verify = ActionCountValidator.verify_action_counts

    def counted(self: ActionCountValidator, node: Any) -> Any:
        if type(node) is not UpdateExpression:  # a clause, action, path or value: no clause inside
            return node
        return verify(self, node)

    ActionCountValidator.verify_action_counts = counted  # type: ignore[method-assign]


_PLAIN_LEAVES = (str, int, float, bool, type(None))
_NODE_FIELDS = frozenset({"type", "children", "parent"})


class _NotPlain(Exception):
    """A tree the node-by-node copy does not cover."""


def _clone(node: Any, parent: Any) -> Any:
    if not _NODE_FIELDS.issuperset(vars(node)):
        raise _NotPlain
    new = object.__new__(type(node))
    new.__dict__.update(vars(node))
    new.parent = parent
    if node.children is not None:
        children = []
        for child in node.children:
            if isinstance(child, Node):
                if child.parent is not node:
                    raise _NotPlain
                children.append(_clone(child, new))
            elif isinstance(child, _PLAIN_LEAVES):
                children.append(child)
            else:
                raise _NotPlain
        new.children = children
    return new


def copied(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for the validators, node by node for a plain tree of moto's nodes."""
    if isinstance(value, Node) and value.parent is None and not memo:
        try:
            return _clone(value, None)
        except _NotPlain:
            pass
    return copy.deepcopy(value, memo)


def _trees_copied_plainly() -> None:
    """Copy update expressions' trees node by node (the validators' ``deepcopy``)."""
    setattr(validators, "deepcopy", copied)  # noqa: B010 (moto's module global)


def _request_ids_where_they_are() -> None:
    """Scan an answer's body for the ``<RequestId>`` element only when the body has one."""
    enrich = core_responses.BaseResponse._enrich_response

    def enriched(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if isinstance(body, str) and "<RequestId>" in body:
            return enrich(headers, body)
        headers, _ = enrich(headers, "")  # the status as text, the request id in the headers
        return headers, body

    setattr(core_responses.BaseResponse, "_enrich_response", staticmethod(enriched))  # noqa: B010


def apply() -> None:
    """Apply every fix once per process."""
    if _applied:
        return
    _request_ids_where_they_are()
    _methods_once()
    _conditions_once()
    _walks_ask_once()
    _trees_copied_plainly()
    _clauses_counted_where_they_are()
    _applied.append("done")
