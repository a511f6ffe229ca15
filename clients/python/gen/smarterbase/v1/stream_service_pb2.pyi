import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from smarterbase.v1 import document_pb2 as _document_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_TYPE_UNSPECIFIED: _ClassVar[ChangeType]
    CHANGE_TYPE_PUT: _ClassVar[ChangeType]
    CHANGE_TYPE_DELETE: _ClassVar[ChangeType]
    CHANGE_TYPE_EXPIRE: _ClassVar[ChangeType]
CHANGE_TYPE_UNSPECIFIED: ChangeType
CHANGE_TYPE_PUT: ChangeType
CHANGE_TYPE_DELETE: ChangeType
CHANGE_TYPE_EXPIRE: ChangeType

class WatchRequest(_message.Message):
    __slots__ = ("collection", "id_prefix", "ids", "after_revision", "progress_interval", "include_previous", "initial_snapshot")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_PREFIX_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    AFTER_REVISION_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    INITIAL_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id_prefix: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    after_revision: int
    progress_interval: _duration_pb2.Duration
    include_previous: bool
    initial_snapshot: bool
    def __init__(self, collection: _Optional[str] = ..., id_prefix: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., after_revision: _Optional[int] = ..., progress_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., include_previous: _Optional[bool] = ..., initial_snapshot: _Optional[bool] = ...) -> None: ...

class WatchResponse(_message.Message):
    __slots__ = ("revision", "changes", "progress", "snapshot")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    revision: int
    changes: ChangeBatch
    progress: WatchProgress
    snapshot: SnapshotPage
    def __init__(self, revision: _Optional[int] = ..., changes: _Optional[_Union[ChangeBatch, _Mapping]] = ..., progress: _Optional[_Union[WatchProgress, _Mapping]] = ..., snapshot: _Optional[_Union[SnapshotPage, _Mapping]] = ...) -> None: ...

class ChangeBatch(_message.Message):
    __slots__ = ("events", "transaction_id", "commit_time")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ChangeEvent]
    transaction_id: str
    commit_time: _timestamp_pb2.Timestamp
    def __init__(self, events: _Optional[_Iterable[_Union[ChangeEvent, _Mapping]]] = ..., transaction_id: _Optional[str] = ..., commit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChangeEvent(_message.Message):
    __slots__ = ("type", "id", "document", "revision", "previous_revision", "previous_document", "previous_unavailable")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_REVISION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    type: ChangeType
    id: str
    document: _document_pb2.Document
    revision: int
    previous_revision: int
    previous_document: _document_pb2.Document
    previous_unavailable: bool
    def __init__(self, type: _Optional[_Union[ChangeType, str]] = ..., id: _Optional[str] = ..., document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., revision: _Optional[int] = ..., previous_revision: _Optional[int] = ..., previous_document: _Optional[_Union[_document_pb2.Document, _Mapping]] = ..., previous_unavailable: _Optional[bool] = ...) -> None: ...

class WatchProgress(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SnapshotPage(_message.Message):
    __slots__ = ("documents", "complete")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_document_pb2.Document]
    complete: bool
    def __init__(self, documents: _Optional[_Iterable[_Union[_document_pb2.Document, _Mapping]]] = ..., complete: _Optional[bool] = ...) -> None: ...
