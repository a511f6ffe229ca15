import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AppendRequest(_message.Message):
    __slots__ = ("log", "lines", "request_id")
    LOG_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    log: str
    lines: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, log: _Optional[str] = ..., lines: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AppendResponse(_message.Message):
    __slots__ = ("first_sequence", "last_sequence", "deduplicated")
    FIRST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    first_sequence: int
    last_sequence: int
    deduplicated: bool
    def __init__(self, first_sequence: _Optional[int] = ..., last_sequence: _Optional[int] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class ReadLogRequest(_message.Message):
    __slots__ = ("log", "from_sequence", "from_end", "follow", "progress_interval")
    LOG_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FROM_END_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    log: str
    from_sequence: int
    from_end: bool
    follow: bool
    progress_interval: _duration_pb2.Duration
    def __init__(self, log: _Optional[str] = ..., from_sequence: _Optional[int] = ..., from_end: _Optional[bool] = ..., follow: _Optional[bool] = ..., progress_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ReadLogResponse(_message.Message):
    __slots__ = ("entries", "tail_sequence")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TAIL_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LogEntry]
    tail_sequence: int
    def __init__(self, entries: _Optional[_Iterable[_Union[LogEntry, _Mapping]]] = ..., tail_sequence: _Optional[int] = ...) -> None: ...

class LogEntry(_message.Message):
    __slots__ = ("sequence", "line", "append_time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    APPEND_TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    line: str
    append_time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., line: _Optional[str] = ..., append_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
