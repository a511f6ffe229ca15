import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from smarterbase.v1 import document_pb2 as _document_pb2
from smarterbase.v1 import lock_pb2 as _lock_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetRequest(_message.Message):
    __slots__ = ("collection", "id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("document", "read_revision")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    READ_REVISION_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    read_revision: int
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., read_revision: _Optional[int] = ...) -> None: ...

class BatchGetRequest(_message.Message):
    __slots__ = ("collection", "ids")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, collection: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetResponse(_message.Message):
    __slots__ = ("id", "found", "document", "read_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    READ_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    found: bool
    document: _document_pb2.Document
    read_revision: int
    def __init__(self, id: _Optional[str] = ..., found: _Optional[bool] = ..., document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., read_revision: _Optional[int] = ...) -> None: ...

class PutRequest(_message.Message):
    __slots__ = ("collection", "id", "data", "create_only", "lock_guard", "expiration")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    CREATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    LOCK_GUARD_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    data: _struct_pb2.Struct
    create_only: bool
    lock_guard: _lock_pb2.LockGuard
    expiration: _document_pb2.Expiration
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_only: _Optional[bool] = ..., lock_guard: _Optional[_Union[_lock_pb2.LockGuard, _Mapping]] = ..., expiration: _Optional[_Union[_document_pb2.Expiration, _Mapping]] = ...) -> None: ...

class PutResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ...) -> None: ...

class PutIfMatchRequest(_message.Message):
    __slots__ = ("collection", "id", "data", "etag", "lock_guard", "expiration")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LOCK_GUARD_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    data: _struct_pb2.Struct
    etag: str
    lock_guard: _lock_pb2.LockGuard
    expiration: _document_pb2.Expiration
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., etag: _Optional[str] = ..., lock_guard: _Optional[_Union[_lock_pb2.LockGuard, _Mapping]] = ..., expiration: _Optional[_Union[_document_pb2.Expiration, _Mapping]] = ...) -> None: ...

class PutIfMatchResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ...) -> None: ...

class CreateRequest(_message.Message):
    __slots__ = ("collection", "id", "data", "expiration")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    data: _struct_pb2.Struct
    expiration: _document_pb2.Expiration
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., expiration: _Optional[_Union[_document_pb2.Expiration, _Mapping]] = ...) -> None: ...

class CreateResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _document_pb2.Document
    def __init__(self, document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("collection", "id", "etag", "lock_guard")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LOCK_GUARD_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    etag: str
    lock_guard: _lock_pb2.LockGuard
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., etag: _Optional[str] = ..., lock_guard: _Optional[_Union[_lock_pb2.LockGuard, _Mapping]] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("deleted", "revision")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    revision: int
    def __init__(self, deleted: _Optional[bool] = ..., revision: _Optional[int] = ...) -> None: ...

class ExistsRequest(_message.Message):
    __slots__ = ("collection", "id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class ExistsResponse(_message.Message):
    __slots__ = ("exists", "etag")
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    etag: str
    def __init__(self, exists: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token", "id_prefix", "keys_only")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ID_PREFIX_FIELD_NUMBER: _ClassVar[int]
    KEYS_ONLY_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    id_prefix: str
    keys_only: bool
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., id_prefix: _Optional[str] = ..., keys_only: _Optional[bool] = ...) -> None: ...

class ListResponse(_message.Message):
    __slots__ = ("documents", "next_page_token", "read_revision")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    READ_REVISION_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_document_pb2.Document]
    next_page_token: str
    read_revision: int
    def __init__(self, documents: _Optional[_Iterable[_Union[_document_pb2.Document, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., read_revision: _Optional[int] = ...) -> None: ...

class BatchWriteItem(_message.Message):
    __slots__ = ("put", "delete")
    PUT_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    put: BatchPut
    delete: BatchDeleteItem
    def __init__(self, put: _Optional[_Union[BatchPut, _Mapping]] = ..., delete: _Optional[_Union[BatchDeleteItem, _Mapping]] = ...) -> None: ...

class BatchPut(_message.Message):
    __slots__ = ("id", "data", "create_only", "etag", "expiration")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    CREATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    data: _struct_pb2.Struct
    create_only: bool
    etag: str
    expiration: _document_pb2.Expiration
    def __init__(self, id: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_only: _Optional[bool] = ..., etag: _Optional[str] = ..., expiration: _Optional[_Union[_document_pb2.Expiration, _Mapping]] = ...) -> None: ...

class BatchDeleteItem(_message.Message):
    __slots__ = ("id", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    etag: str
    def __init__(self, id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class BatchWriteRequest(_message.Message):
    __slots__ = ("collection", "writes")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    collection: str
    writes: _containers.RepeatedCompositeFieldContainer[BatchWriteItem]
    def __init__(self, collection: _Optional[str] = ..., writes: _Optional[_Iterable[_Union[BatchWriteItem, _Mapping]]] = ...) -> None: ...

class BatchWriteResult(_message.Message):
    __slots__ = ("id", "status", "document", "deleted")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: _status_pb2.Status
    document: _document_pb2.Document
    deleted: bool
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., deleted: _Optional[bool] = ...) -> None: ...

class BatchWriteResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchWriteResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchWriteResult, _Mapping]]] = ...) -> None: ...

class BatchExistsRequest(_message.Message):
    __slots__ = ("collection", "ids")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, collection: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchExistsResult(_message.Message):
    __slots__ = ("id", "exists", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    exists: bool
    etag: str
    def __init__(self, id: _Optional[str] = ..., exists: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class BatchExistsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchExistsResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchExistsResult, _Mapping]]] = ...) -> None: ...

class BatchDeleteRequest(_message.Message):
    __slots__ = ("collection", "items")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    items: _containers.RepeatedCompositeFieldContainer[BatchDeleteItem]
    def __init__(self, collection: _Optional[str] = ..., items: _Optional[_Iterable[_Union[BatchDeleteItem, _Mapping]]] = ...) -> None: ...

class BatchDeleteResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchWriteResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchWriteResult, _Mapping]]] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("writes", "request_id", "lock_guard")
    WRITES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOCK_GUARD_FIELD_NUMBER: _ClassVar[int]
    writes: _containers.RepeatedCompositeFieldContainer[TransactionWrite]
    request_id: str
    lock_guard: _lock_pb2.LockGuard
    def __init__(self, writes: _Optional[_Iterable[_Union[TransactionWrite, _Mapping]]] = ..., request_id: _Optional[str] = ..., lock_guard: _Optional[_Union[_lock_pb2.LockGuard, _Mapping]] = ...) -> None: ...

class TransactionWrite(_message.Message):
    __slots__ = ("collection", "id", "set", "delete", "check", "precondition")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    PRECONDITION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    set: SetOperation
    delete: DeleteOperation
    check: CheckOperation
    precondition: Precondition
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., set: _Optional[_Union[SetOperation, _Mapping]] = ..., delete: _Optional[_Union[DeleteOperation, _Mapping]] = ..., check: _Optional[_Union[CheckOperation, _Mapping]] = ..., precondition: _Optional[_Union[Precondition, _Mapping]] = ...) -> None: ...

class SetOperation(_message.Message):
    __slots__ = ("data", "expiration")
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_FIELD_NUMBER: _ClassVar[int]
    data: _struct_pb2.Struct
    expiration: _document_pb2.Expiration
    def __init__(self, data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., expiration: _Optional[_Union[_document_pb2.Expiration, _Mapping]] = ...) -> None: ...

class DeleteOperation(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CheckOperation(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Precondition(_message.Message):
    __slots__ = ("exists", "etag")
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    etag: str
    def __init__(self, exists: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class TransactionWriteResult(_message.Message):
    __slots__ = ("collection", "id", "etag", "version")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    etag: str
    version: int
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., etag: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class CommitResponse(_message.Message):
    __slots__ = ("results", "transaction_id", "commit_time")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[TransactionWriteResult]
    transaction_id: str
    commit_time: _timestamp_pb2.Timestamp
    def __init__(self, results: _Optional[_Iterable[_Union[TransactionWriteResult, _Mapping]]] = ..., transaction_id: _Optional[str] = ..., commit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
