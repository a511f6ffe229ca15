import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from smarterbase.v1 import object_pb2 as _object_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UploadRequest(_message.Message):
    __slots__ = ("header", "data", "finish_write")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FINISH_WRITE_FIELD_NUMBER: _ClassVar[int]
    header: _object_pb2.UploadHeader
    data: bytes
    finish_write: bool
    def __init__(self, header: _Optional[_Union[_object_pb2.UploadHeader, _Mapping]] = ..., data: _Optional[bytes] = ..., finish_write: _Optional[bool] = ...) -> None: ...

class UploadResponse(_message.Message):
    __slots__ = ("object",)
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    object: _object_pb2.ObjectMetadata
    def __init__(self, object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ...) -> None: ...

class DownloadRequest(_message.Message):
    __slots__ = ("collection", "id", "offset", "length", "if_match")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    offset: int
    length: int
    if_match: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ..., if_match: _Optional[str] = ...) -> None: ...

class DownloadResponse(_message.Message):
    __slots__ = ("object", "offset", "data")
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    object: _object_pb2.ObjectMetadata
    offset: int
    data: bytes
    def __init__(self, object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ..., offset: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class StatObjectRequest(_message.Message):
    __slots__ = ("collection", "id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class StatObjectResponse(_message.Message):
    __slots__ = ("object",)
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    object: _object_pb2.ObjectMetadata
    def __init__(self, object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ...) -> None: ...

class DeleteObjectRequest(_message.Message):
    __slots__ = ("collection", "id", "etag")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    collection: str
    id: str
    etag: str
    def __init__(self, collection: _Optional[str] = ..., id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class DeleteObjectResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class ListObjectsRequest(_message.Message):
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

class ListObjectsResponse(_message.Message):
    __slots__ = ("objects", "next_page_token")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[_object_pb2.ObjectMetadata]
    next_page_token: str
    def __init__(self, objects: _Optional[_Iterable[_Union[_object_pb2.ObjectMetadata, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StartUploadRequest(_message.Message):
    __slots__ = ("header",)
    HEADER_FIELD_NUMBER: _ClassVar[int]
    header: _object_pb2.UploadHeader
    def __init__(self, header: _Optional[_Union[_object_pb2.UploadHeader, _Mapping]] = ...) -> None: ...

class StartUploadResponse(_message.Message):
    __slots__ = ("upload_id", "part_size_bytes", "expire_time")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    PART_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    part_size_bytes: int
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, upload_id: _Optional[str] = ..., part_size_bytes: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WriteUploadRequest(_message.Message):
    __slots__ = ("upload_id", "write_offset", "data", "finish_write")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    WRITE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FINISH_WRITE_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    write_offset: int
    data: bytes
    finish_write: bool
    def __init__(self, upload_id: _Optional[str] = ..., write_offset: _Optional[int] = ..., data: _Optional[bytes] = ..., finish_write: _Optional[bool] = ...) -> None: ...

class WriteUploadResponse(_message.Message):
    __slots__ = ("committed_size", "complete", "object")
    COMMITTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    committed_size: int
    complete: bool
    object: _object_pb2.ObjectMetadata
    def __init__(self, committed_size: _Optional[int] = ..., complete: _Optional[bool] = ..., object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ...) -> None: ...

class WriteAtRequest(_message.Message):
    __slots__ = ("upload_id", "write_offset", "data", "finish_write")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    WRITE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FINISH_WRITE_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    write_offset: int
    data: bytes
    finish_write: bool
    def __init__(self, upload_id: _Optional[str] = ..., write_offset: _Optional[int] = ..., data: _Optional[bytes] = ..., finish_write: _Optional[bool] = ...) -> None: ...

class WriteAtResponse(_message.Message):
    __slots__ = ("committed_size", "complete", "object")
    COMMITTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    committed_size: int
    complete: bool
    object: _object_pb2.ObjectMetadata
    def __init__(self, committed_size: _Optional[int] = ..., complete: _Optional[bool] = ..., object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ...) -> None: ...

class QueryUploadStatusRequest(_message.Message):
    __slots__ = ("upload_id",)
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    def __init__(self, upload_id: _Optional[str] = ...) -> None: ...

class QueryUploadStatusResponse(_message.Message):
    __slots__ = ("committed_size", "complete", "object", "expire_time", "part_size_bytes")
    COMMITTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PART_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    committed_size: int
    complete: bool
    object: _object_pb2.ObjectMetadata
    expire_time: _timestamp_pb2.Timestamp
    part_size_bytes: int
    def __init__(self, committed_size: _Optional[int] = ..., complete: _Optional[bool] = ..., object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., part_size_bytes: _Optional[int] = ...) -> None: ...

class CompleteUploadRequest(_message.Message):
    __slots__ = ("upload_id", "expected_size", "expected_sha256")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SHA256_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    expected_size: int
    expected_sha256: str
    def __init__(self, upload_id: _Optional[str] = ..., expected_size: _Optional[int] = ..., expected_sha256: _Optional[str] = ...) -> None: ...

class CompleteUploadResponse(_message.Message):
    __slots__ = ("object",)
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    object: _object_pb2.ObjectMetadata
    def __init__(self, object: _Optional[_Union[_object_pb2.ObjectMetadata, _Mapping]] = ...) -> None: ...

class AbortUploadRequest(_message.Message):
    __slots__ = ("upload_id",)
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    def __init__(self, upload_id: _Optional[str] = ...) -> None: ...

class AbortUploadResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
