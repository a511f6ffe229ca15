from google.api import field_behavior_pb2 as _field_behavior_pb2
from smarterbase.v1 import document_pb2 as _document_pb2
from smarterbase.v1 import query_pb2 as _query_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryRequest(_message.Message):
    __slots__ = ("collection", "filter", "filter_expression", "order_by", "limit", "offset", "start_after", "projection", "require_index")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    START_AFTER_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_INDEX_FIELD_NUMBER: _ClassVar[int]
    collection: str
    filter: _query_pb2.Filter
    filter_expression: str
    order_by: _containers.RepeatedCompositeFieldContainer[_query_pb2.OrderBy]
    limit: int
    offset: int
    start_after: str
    projection: _query_pb2.DocumentMask
    require_index: bool
    def __init__(self, collection: _Optional[str] = ..., filter: _Optional[_Union[_query_pb2.Filter, _Mapping]] = ..., filter_expression: _Optional[str] = ..., order_by: _Optional[_Iterable[_Union[_query_pb2.OrderBy, _Mapping]]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., start_after: _Optional[str] = ..., projection: _Optional[_Union[_query_pb2.DocumentMask, _Mapping]] = ..., require_index: _Optional[bool] = ...) -> None: ...

class QueryResponse(_message.Message):
    __slots__ = ("document", "resume_token", "skipped_results", "done", "read_revision")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_RESULTS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    READ_REVISION_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    resume_token: str
    skipped_results: int
    done: bool
    read_revision: int
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., resume_token: _Optional[str] = ..., skipped_results: _Optional[int] = ..., done: _Optional[bool] = ..., read_revision: _Optional[int] = ...) -> None: ...

class CountRequest(_message.Message):
    __slots__ = ("collection", "filter", "filter_expression", "require_index")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_INDEX_FIELD_NUMBER: _ClassVar[int]
    collection: str
    filter: _query_pb2.Filter
    filter_expression: str
    require_index: bool
    def __init__(self, collection: _Optional[str] = ..., filter: _Optional[_Union[_query_pb2.Filter, _Mapping]] = ..., filter_expression: _Optional[str] = ..., require_index: _Optional[bool] = ...) -> None: ...

class CountResponse(_message.Message):
    __slots__ = ("count", "storage_requests")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    STORAGE_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    count: int
    storage_requests: int
    def __init__(self, count: _Optional[int] = ..., storage_requests: _Optional[int] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ("collection", "filter", "filter_expression", "order_by", "limit", "offset")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    collection: str
    filter: _query_pb2.Filter
    filter_expression: str
    order_by: _containers.RepeatedCompositeFieldContainer[_query_pb2.OrderBy]
    limit: int
    offset: int
    def __init__(self, collection: _Optional[str] = ..., filter: _Optional[_Union[_query_pb2.Filter, _Mapping]] = ..., filter_expression: _Optional[str] = ..., order_by: _Optional[_Iterable[_Union[_query_pb2.OrderBy, _Mapping]]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: _query_pb2.QueryPlan
    def __init__(self, plan: _Optional[_Union[_query_pb2.QueryPlan, _Mapping]] = ...) -> None: ...
