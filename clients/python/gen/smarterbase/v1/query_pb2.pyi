from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_ASCENDING: _ClassVar[Direction]
    DIRECTION_DESCENDING: _ClassVar[Direction]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_ASCENDING: Direction
DIRECTION_DESCENDING: Direction

class Filter(_message.Message):
    __slots__ = ("field_filter", "composite_filter", "not_filter")
    FIELD_FILTER_FIELD_NUMBER: _ClassVar[int]
    COMPOSITE_FILTER_FIELD_NUMBER: _ClassVar[int]
    NOT_FILTER_FIELD_NUMBER: _ClassVar[int]
    field_filter: FieldFilter
    composite_filter: CompositeFilter
    not_filter: NotFilter
    def __init__(self, field_filter: _Optional[_Union[FieldFilter, _Mapping]] = ..., composite_filter: _Optional[_Union[CompositeFilter, _Mapping]] = ..., not_filter: _Optional[_Union[NotFilter, _Mapping]] = ...) -> None: ...

class CompositeFilter(_message.Message):
    __slots__ = ("op", "filters")
    class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OPERATOR_UNSPECIFIED: _ClassVar[CompositeFilter.Operator]
        OPERATOR_AND: _ClassVar[CompositeFilter.Operator]
        OPERATOR_OR: _ClassVar[CompositeFilter.Operator]
    OPERATOR_UNSPECIFIED: CompositeFilter.Operator
    OPERATOR_AND: CompositeFilter.Operator
    OPERATOR_OR: CompositeFilter.Operator
    OP_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    op: CompositeFilter.Operator
    filters: _containers.RepeatedCompositeFieldContainer[Filter]
    def __init__(self, op: _Optional[_Union[CompositeFilter.Operator, str]] = ..., filters: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ...) -> None: ...

class NotFilter(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: Filter
    def __init__(self, filter: _Optional[_Union[Filter, _Mapping]] = ...) -> None: ...

class FieldFilter(_message.Message):
    __slots__ = ("field", "op", "value")
    class Operator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OPERATOR_UNSPECIFIED: _ClassVar[FieldFilter.Operator]
        OPERATOR_EQ: _ClassVar[FieldFilter.Operator]
        OPERATOR_NE: _ClassVar[FieldFilter.Operator]
        OPERATOR_LT: _ClassVar[FieldFilter.Operator]
        OPERATOR_LTE: _ClassVar[FieldFilter.Operator]
        OPERATOR_GT: _ClassVar[FieldFilter.Operator]
        OPERATOR_GTE: _ClassVar[FieldFilter.Operator]
        OPERATOR_IN: _ClassVar[FieldFilter.Operator]
        OPERATOR_NOT_IN: _ClassVar[FieldFilter.Operator]
        OPERATOR_CONTAINS: _ClassVar[FieldFilter.Operator]
        OPERATOR_ARRAY_CONTAINS: _ClassVar[FieldFilter.Operator]
        OPERATOR_STARTS_WITH: _ClassVar[FieldFilter.Operator]
        OPERATOR_EXISTS: _ClassVar[FieldFilter.Operator]
    OPERATOR_UNSPECIFIED: FieldFilter.Operator
    OPERATOR_EQ: FieldFilter.Operator
    OPERATOR_NE: FieldFilter.Operator
    OPERATOR_LT: FieldFilter.Operator
    OPERATOR_LTE: FieldFilter.Operator
    OPERATOR_GT: FieldFilter.Operator
    OPERATOR_GTE: FieldFilter.Operator
    OPERATOR_IN: FieldFilter.Operator
    OPERATOR_NOT_IN: FieldFilter.Operator
    OPERATOR_CONTAINS: FieldFilter.Operator
    OPERATOR_ARRAY_CONTAINS: FieldFilter.Operator
    OPERATOR_STARTS_WITH: FieldFilter.Operator
    OPERATOR_EXISTS: FieldFilter.Operator
    FIELD_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    field: str
    op: FieldFilter.Operator
    value: _struct_pb2.Value
    def __init__(self, field: _Optional[str] = ..., op: _Optional[_Union[FieldFilter.Operator, str]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class OrderBy(_message.Message):
    __slots__ = ("field", "direction")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    direction: Direction
    def __init__(self, field: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ...) -> None: ...

class DocumentMask(_message.Message):
    __slots__ = ("field_paths",)
    FIELD_PATHS_FIELD_NUMBER: _ClassVar[int]
    field_paths: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, field_paths: _Optional[_Iterable[str]] = ...) -> None: ...

class QueryPlan(_message.Message):
    __slots__ = ("indexes_used", "candidate_count", "storage_requests", "scan", "sorted_by_index", "residual_filter", "description")
    INDEXES_USED_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STORAGE_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    SCAN_FIELD_NUMBER: _ClassVar[int]
    SORTED_BY_INDEX_FIELD_NUMBER: _ClassVar[int]
    RESIDUAL_FILTER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    indexes_used: _containers.RepeatedScalarFieldContainer[str]
    candidate_count: int
    storage_requests: int
    scan: bool
    sorted_by_index: bool
    residual_filter: str
    description: str
    def __init__(self, indexes_used: _Optional[_Iterable[str]] = ..., candidate_count: _Optional[int] = ..., storage_requests: _Optional[int] = ..., scan: _Optional[bool] = ..., sorted_by_index: _Optional[bool] = ..., residual_filter: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...
