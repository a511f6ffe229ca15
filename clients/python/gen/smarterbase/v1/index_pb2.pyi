import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IndexKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDEX_KIND_UNSPECIFIED: _ClassVar[IndexKind]
    INDEX_KIND_EQUALITY: _ClassVar[IndexKind]
    INDEX_KIND_UNIQUE: _ClassVar[IndexKind]
    INDEX_KIND_ORDERED: _ClassVar[IndexKind]

class IndexState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INDEX_STATE_UNSPECIFIED: _ClassVar[IndexState]
    INDEX_STATE_BUILDING: _ClassVar[IndexState]
    INDEX_STATE_READY: _ClassVar[IndexState]
    INDEX_STATE_FAILED: _ClassVar[IndexState]
INDEX_KIND_UNSPECIFIED: IndexKind
INDEX_KIND_EQUALITY: IndexKind
INDEX_KIND_UNIQUE: IndexKind
INDEX_KIND_ORDERED: IndexKind
INDEX_STATE_UNSPECIFIED: IndexState
INDEX_STATE_BUILDING: IndexState
INDEX_STATE_READY: IndexState
INDEX_STATE_FAILED: IndexState

class Index(_message.Message):
    __slots__ = ("collection", "name", "fields", "kind", "state", "documents_scanned", "create_time", "error", "hash_values")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HASH_VALUES_FIELD_NUMBER: _ClassVar[int]
    collection: str
    name: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    kind: IndexKind
    state: IndexState
    documents_scanned: int
    create_time: _timestamp_pb2.Timestamp
    error: str
    hash_values: bool
    def __init__(self, collection: _Optional[str] = ..., name: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ..., kind: _Optional[_Union[IndexKind, str]] = ..., state: _Optional[_Union[IndexState, str]] = ..., documents_scanned: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ..., hash_values: _Optional[bool] = ...) -> None: ...
