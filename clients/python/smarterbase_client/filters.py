"""Builders of typed query filters (the ``smarterbase.v1.Filter`` tree) and sort keys.

Example::

    from smarterbase_client import filters as f

    f.and_(f.eq("status", "active"), f.gte("age", 21), f.not_(f.in_("role", ["bot"])))

The same filter can be sent as an expression string instead
(``filter_expression='status = "active" AND age >= 21'``).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence, Union

from google.protobuf import struct_pb2

from ._stubs import query_pb2
from .document import to_struct

Filter = query_pb2.Filter
OrderBy = query_pb2.OrderBy
_Op = query_pb2.FieldFilter


def to_value(value: Any) -> struct_pb2.Value:
    """A JSON-compatible Python value as a ``google.protobuf.Value`` (same rules as document data)."""
    return to_struct({"value": value}).fields["value"]


def _field(field: str, op: int, value: Any) -> Filter:
    return Filter(field_filter=query_pb2.FieldFilter(field=field, op=op, value=to_value(value)))  # type: ignore[arg-type]


def eq(field: str, value: Any) -> Filter:
    """``field`` equals ``value`` (same type and value; on an array field, any element equal)."""
    return _field(field, _Op.OPERATOR_EQ, value)


def ne(field: str, value: Any) -> Filter:
    """``field`` differs from ``value``, or is missing."""
    return _field(field, _Op.OPERATOR_NE, value)


def lt(field: str, value: Union[int, float, str]) -> Filter:
    """``field`` < ``value`` (numbers with numbers, strings with strings)."""
    return _field(field, _Op.OPERATOR_LT, value)


def lte(field: str, value: Union[int, float, str]) -> Filter:
    """``field`` <= ``value``."""
    return _field(field, _Op.OPERATOR_LTE, value)


def gt(field: str, value: Union[int, float, str]) -> Filter:
    """``field`` > ``value``."""
    return _field(field, _Op.OPERATOR_GT, value)


def gte(field: str, value: Union[int, float, str]) -> Filter:
    """``field`` >= ``value``."""
    return _field(field, _Op.OPERATOR_GTE, value)


def in_(field: str, values: Iterable[Any]) -> Filter:
    """``field`` equals one of ``values`` (at most 100)."""
    return _field(field, _Op.OPERATOR_IN, list(values))


def not_in(field: str, values: Iterable[Any]) -> Filter:
    """``field`` equals none of ``values``, or is missing."""
    return _field(field, _Op.OPERATOR_NOT_IN, list(values))


def contains(field: str, substring: str) -> Filter:
    """The string ``field`` contains ``substring``."""
    return _field(field, _Op.OPERATOR_CONTAINS, substring)


def array_contains(field: str, value: Any) -> Filter:
    """The array ``field`` has an element equal to ``value``."""
    return _field(field, _Op.OPERATOR_ARRAY_CONTAINS, value)


def starts_with(field: str, prefix: str) -> Filter:
    """The string ``field`` starts with ``prefix``."""
    return _field(field, _Op.OPERATOR_STARTS_WITH, prefix)


def exists(field: str, present: bool = True) -> Filter:
    """``field`` is present (null counts as present), or absent when ``present`` is False."""
    return _field(field, _Op.OPERATOR_EXISTS, bool(present))


def _composite(op: int, filters: Sequence[Filter]) -> Filter:
    return Filter(composite_filter=query_pb2.CompositeFilter(op=op, filters=list(filters)))  # type: ignore[arg-type]


def and_(*filters: Filter) -> Filter:
    """Every filter holds (1 to 100 of them)."""
    return _composite(query_pb2.CompositeFilter.OPERATOR_AND, filters)


def or_(*filters: Filter) -> Filter:
    """At least one filter holds (1 to 100 of them)."""
    return _composite(query_pb2.CompositeFilter.OPERATOR_OR, filters)


def not_(filter: Filter) -> Filter:
    """``filter`` does not hold."""
    return Filter(not_filter=query_pb2.NotFilter(filter=filter))


def asc(field: str) -> OrderBy:
    """Sort by ``field``, smallest first (missing values last, ties by id)."""
    return OrderBy(field=field, direction=query_pb2.DIRECTION_ASCENDING)


def desc(field: str) -> OrderBy:
    """Sort by ``field``, largest first (missing values still last, ties by id ascending)."""
    return OrderBy(field=field, direction=query_pb2.DIRECTION_DESCENDING)


def order_by_proto(terms: Iterable[Union[str, OrderBy]]) -> list:
    """Sort keys as protos; a bare string sorts ascending."""
    return [asc(t) if isinstance(t, str) else t for t in terms]


__all__ = [
    "Filter", "OrderBy", "and_", "array_contains", "asc", "contains", "desc", "eq", "exists", "gt", "gte",
    "in_", "lt", "lte", "ne", "not_", "not_in", "or_", "order_by_proto", "starts_with", "to_value",
]
