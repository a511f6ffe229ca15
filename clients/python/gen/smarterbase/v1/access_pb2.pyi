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

class Verb(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERB_UNSPECIFIED: _ClassVar[Verb]
    VERB_READ: _ClassVar[Verb]
    VERB_WRITE: _ClassVar[Verb]
    VERB_ADMIN: _ClassVar[Verb]
    VERB_LOCK: _ClassVar[Verb]
    VERB_STREAM: _ClassVar[Verb]
VERB_UNSPECIFIED: Verb
VERB_READ: Verb
VERB_WRITE: Verb
VERB_ADMIN: Verb
VERB_LOCK: Verb
VERB_STREAM: Verb

class Permission(_message.Message):
    __slots__ = ("verbs", "collections", "locks", "logs", "access_control")
    VERBS_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    ACCESS_CONTROL_FIELD_NUMBER: _ClassVar[int]
    verbs: _containers.RepeatedScalarFieldContainer[Verb]
    collections: _containers.RepeatedScalarFieldContainer[str]
    locks: _containers.RepeatedScalarFieldContainer[str]
    logs: _containers.RepeatedScalarFieldContainer[str]
    access_control: bool
    def __init__(self, verbs: _Optional[_Iterable[_Union[Verb, str]]] = ..., collections: _Optional[_Iterable[str]] = ..., locks: _Optional[_Iterable[str]] = ..., logs: _Optional[_Iterable[str]] = ..., access_control: _Optional[bool] = ...) -> None: ...

class Role(_message.Message):
    __slots__ = ("name", "permissions", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    permissions: _containers.RepeatedCompositeFieldContainer[Permission]
    description: str
    def __init__(self, name: _Optional[str] = ..., permissions: _Optional[_Iterable[_Union[Permission, _Mapping]]] = ..., description: _Optional[str] = ...) -> None: ...

class Principal(_message.Message):
    __slots__ = ("name", "roles", "certificate_names", "limits")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NAMES_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    certificate_names: _containers.RepeatedScalarFieldContainer[str]
    limits: PrincipalLimits
    def __init__(self, name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., certificate_names: _Optional[_Iterable[str]] = ..., limits: _Optional[_Union[PrincipalLimits, _Mapping]] = ...) -> None: ...

class PrincipalLimits(_message.Message):
    __slots__ = ("calls_per_second", "burst", "max_streams")
    CALLS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    BURST_FIELD_NUMBER: _ClassVar[int]
    MAX_STREAMS_FIELD_NUMBER: _ClassVar[int]
    calls_per_second: float
    burst: int
    max_streams: int
    def __init__(self, calls_per_second: _Optional[float] = ..., burst: _Optional[int] = ..., max_streams: _Optional[int] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("key_id", "principal", "create_time", "expire_time", "revoked")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    principal: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    revoked: bool
    def __init__(self, key_id: _Optional[str] = ..., principal: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked: _Optional[bool] = ...) -> None: ...
