from google.api import field_behavior_pb2 as _field_behavior_pb2
from smarterbase.v1 import index_pb2 as _index_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RebuildOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REBUILD_OUTCOME_UNSPECIFIED: _ClassVar[RebuildOutcome]
    REBUILD_OUTCOME_SWAPPED: _ClassVar[RebuildOutcome]
    REBUILD_OUTCOME_FAILED: _ClassVar[RebuildOutcome]
    REBUILD_OUTCOME_DROPPED: _ClassVar[RebuildOutcome]
    REBUILD_OUTCOME_ABORTED: _ClassVar[RebuildOutcome]
    REBUILD_OUTCOME_SKIPPED: _ClassVar[RebuildOutcome]
REBUILD_OUTCOME_UNSPECIFIED: RebuildOutcome
REBUILD_OUTCOME_SWAPPED: RebuildOutcome
REBUILD_OUTCOME_FAILED: RebuildOutcome
REBUILD_OUTCOME_DROPPED: RebuildOutcome
REBUILD_OUTCOME_ABORTED: RebuildOutcome
REBUILD_OUTCOME_SKIPPED: RebuildOutcome

class CreateIndexRequest(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: _index_pb2.Index
    def __init__(self, index: _Optional[_Union[_index_pb2.Index, _Mapping]] = ...) -> None: ...

class CreateIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: _index_pb2.Index
    def __init__(self, index: _Optional[_Union[_index_pb2.Index, _Mapping]] = ...) -> None: ...

class GetIndexRequest(_message.Message):
    __slots__ = ("collection", "name")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    collection: str
    name: str
    def __init__(self, collection: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: _index_pb2.Index
    def __init__(self, index: _Optional[_Union[_index_pb2.Index, _Mapping]] = ...) -> None: ...

class ListIndexesRequest(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    def __init__(self, collection: _Optional[str] = ...) -> None: ...

class ListIndexesResponse(_message.Message):
    __slots__ = ("indexes",)
    INDEXES_FIELD_NUMBER: _ClassVar[int]
    indexes: _containers.RepeatedCompositeFieldContainer[_index_pb2.Index]
    def __init__(self, indexes: _Optional[_Iterable[_Union[_index_pb2.Index, _Mapping]]] = ...) -> None: ...

class DropIndexRequest(_message.Message):
    __slots__ = ("collection", "name")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    collection: str
    name: str
    def __init__(self, collection: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DropIndexResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CheckIndexesRequest(_message.Message):
    __slots__ = ("collection", "index", "repair")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REPAIR_FIELD_NUMBER: _ClassVar[int]
    collection: str
    index: str
    repair: bool
    def __init__(self, collection: _Optional[str] = ..., index: _Optional[str] = ..., repair: _Optional[bool] = ...) -> None: ...

class CheckIndexesResponse(_message.Message):
    __slots__ = ("documents_scanned", "entries_checked", "missing", "stale", "repaired", "skipped", "done", "samples")
    DOCUMENTS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    REPAIRED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    documents_scanned: int
    entries_checked: int
    missing: int
    stale: int
    repaired: int
    skipped: int
    done: bool
    samples: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, documents_scanned: _Optional[int] = ..., entries_checked: _Optional[int] = ..., missing: _Optional[int] = ..., stale: _Optional[int] = ..., repaired: _Optional[int] = ..., skipped: _Optional[int] = ..., done: _Optional[bool] = ..., samples: _Optional[_Iterable[str]] = ...) -> None: ...

class RebuildIndexesRequest(_message.Message):
    __slots__ = ("collection", "index")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    collection: str
    index: str
    def __init__(self, collection: _Optional[str] = ..., index: _Optional[str] = ...) -> None: ...

class RebuiltIndex(_message.Message):
    __slots__ = ("name", "outcome", "documents_scanned", "error")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    name: str
    outcome: RebuildOutcome
    documents_scanned: int
    error: str
    def __init__(self, name: _Optional[str] = ..., outcome: _Optional[_Union[RebuildOutcome, str]] = ..., documents_scanned: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class RebuildIndexesResponse(_message.Message):
    __slots__ = ("index", "documents_scanned", "done", "results")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    index: str
    documents_scanned: int
    done: bool
    results: _containers.RepeatedCompositeFieldContainer[RebuiltIndex]
    def __init__(self, index: _Optional[str] = ..., documents_scanned: _Optional[int] = ..., done: _Optional[bool] = ..., results: _Optional[_Iterable[_Union[RebuiltIndex, _Mapping]]] = ...) -> None: ...

class RotateKeysRequest(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    def __init__(self, collection: _Optional[str] = ...) -> None: ...

class RotateKeysResponse(_message.Message):
    __slots__ = ("scanned", "rewritten", "skipped", "failed", "done", "primary_key_id", "failed_keys")
    SCANNED_FIELD_NUMBER: _ClassVar[int]
    REWRITTEN_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    FAILED_KEYS_FIELD_NUMBER: _ClassVar[int]
    scanned: int
    rewritten: int
    skipped: int
    failed: int
    done: bool
    primary_key_id: str
    failed_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, scanned: _Optional[int] = ..., rewritten: _Optional[int] = ..., skipped: _Optional[int] = ..., failed: _Optional[int] = ..., done: _Optional[bool] = ..., primary_key_id: _Optional[str] = ..., failed_keys: _Optional[_Iterable[str]] = ...) -> None: ...
