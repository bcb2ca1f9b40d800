"""A fix of ours to moto's CPU in every DynamoDB write, same answers: an item's size, counted plainly.

moto refuses an item over DynamoDB's 400 KB (``ItemSizeTooLarge``) by summing the size of every
attribute of the item at each attribute it sets: an update of fifteen attributes on an item of
forty sizes the whole item fifteen times, and each size of a set builds an attribute value per
member (a fifth of a settle transaction's CPU). Here the size is the same sum, counted without
building anything: each kind of value is measured as moto measures it (numbers by their text,
strings and binaries by their bytes, sets and lists and maps member by member, a bool or null
as 1), and the check still runs at every attribute set, against the same limit.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

_applied: list[str] = []
_SETS = ("SS", "NS", "BS")
_MOTO_SIZE = DynamoType.size  # moto's own, kept to compare with (tests/integration/test_emulator_sizes.py)


def moto_size(value: DynamoType) -> int:
    """The size moto's own ``DynamoType.size`` gives (before ``apply``)."""
    return int(_MOTO_SIZE(value))


def _member_size(kind: str, member: Any) -> int:
    """``DynamoType({kind: member}).size()`` for a set's member, without building it."""
    if kind == "N":
        return len(str(member))
    return 1 if isinstance(member, bool) else bytesize(member)


def size(value: DynamoType) -> int:
    """The size moto gives an attribute value (``DynamoType.size``), counted plainly."""
    kind, inner = value.type, value.value
    if kind == "N":
        return len(str(inner))
    if kind in _SETS:
        return sum(_member_size(kind[0], member) for member in inner)
    if kind == "L":
        return sum(size(member) if type(member) is DynamoType else member.size() for member in inner)
    if kind == "M":
        return sum(bytesize(name) + size(member if type(member) is DynamoType else DynamoType(member))
                   for name, member in inner.items())
    return 1 if isinstance(inner, bool) else bytesize(inner)


def _set_checked(self: LimitedSizeDict, key: str, value: Any) -> None:
    """``LimitedSizeDict.__setitem__``: the same sum and limit, each value sized plainly."""
    current = 0
    for name in self:
        current += bytesize(str(name))
    for held in self.values():
        current += size(held) if type(held) is DynamoType else bytesize(str(held))
    new = bytesize(key) + (size(value) if type(value) is DynamoType else bytesize(str(value)))
    if current + new > _LIMIT:
        raise ItemSizeTooLarge
    dict.__setitem__(self, key, value)


_LIMIT = 405000  # moto's: "the actual limit is between 409 and 410KB"


def apply() -> None:
    """Size items plainly (once per process)."""
    if _applied:
        return
    DynamoType.size = size  # type: ignore[method-assign,assignment]
    LimitedSizeDict.__setitem__ = _set_checked  # type: ignore[method-assign]
    _applied.append("done")
