"""The Document value type and the conversions between JSON data and protobuf.

Document data travels as ``google.protobuf.Struct``, whose numbers are
IEEE-754 doubles (as in JSON). On the way in, ``int`` values beyond 2**53 are
rejected instead of being silently rounded. On the way out, a number with no
fractional part that fits in 2**53 comes back as ``int`` (``3``, not ``3.0``),
so counters and ids read back the way they were written.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from google.protobuf import struct_pb2, timestamp_pb2

from ._stubs import document_pb2

#: JSON-compatible document content: what ``Document.data`` holds.
JsonObject = Dict[str, Any]

#: Largest integer magnitude a double represents exactly.
MAX_SAFE_INTEGER = 2**53


@dataclass(frozen=True)
class Document:
    """One stored JSON object and its output-only metadata.

    Attributes:
        collection: The collection the document belongs to.
        id: The document id.
        data: The JSON object (empty on keys-only listings).
        etag: Opaque token that changes on every write; pass it to
            ``Client.put_if_match`` or ``Client.delete`` (empty on keys-only listings).
        version: 1 on creation, +1 on every later write (0 on keys-only listings).
        create_time: When the document was first created (UTC), if known.
        update_time: When the document was last written (UTC), if known.
        revision: The collection revision of the write that made this version
            (docs/streams.md); 0 when stored without one. A watched change whose
            revision is at or below it is already in this document.
        expire_time: When this version expires (UTC; docs/streams.md, "Document
            expiry (TTL)"); None when it does not.
    """

    collection: str
    id: str
    data: JsonObject = field(default_factory=dict)
    etag: str = ""
    version: int = 0
    create_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    revision: int = 0
    expire_time: Optional[datetime] = None


@dataclass(frozen=True)
class ListPage:
    """One page of ``Client.list``.

    Attributes:
        documents: The documents of this page, in ascending id order.
        next_page_token: Token for the next page; empty when this is the last page.
        read_revision: Every change of the collection up to this revision was
            stored before the page was read (0: unknown); watch from it to
            follow the collection with no gap.
    """

    documents: List[Document]
    next_page_token: str
    read_revision: int = 0


def _normalize(value: Any, path: str) -> Any:
    """Returns ``value`` as plain dicts, lists and scalars, or raises for
    values a Struct cannot carry faithfully."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"{path}: integer {value} cannot be stored exactly (limit 2**53)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a JSON number")
        return value
    if isinstance(value, Mapping):
        out: Dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: object keys must be str, got {type(k).__name__}")
            out[k] = _normalize(v, f"{path}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_normalize(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} is not JSON-compatible")


def to_struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    """Converts a JSON-compatible mapping to a ``google.protobuf.Struct``.

    Raises:
        TypeError: ``data`` is not a mapping or holds a non-JSON value.
        ValueError: a number cannot be represented as a finite double exactly.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"document data must be a mapping, got {type(data).__name__}")
    struct = struct_pb2.Struct()
    struct.update(_normalize(data, "data"))
    return struct


def _from_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [_from_value(v) for v in value.list_value.values]
    if kind == "number_value":
        n = value.number_value
        if math.isfinite(n) and n.is_integer() and abs(n) <= MAX_SAFE_INTEGER:
            return int(n)
        return n
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None  # null_value or unset


def from_struct(struct: struct_pb2.Struct) -> JsonObject:
    """Converts a ``google.protobuf.Struct`` to a plain dict (integral numbers as int)."""
    return {key: _from_value(v) for key, v in struct.fields.items()}


def _to_datetime(ts: timestamp_pb2.Timestamp, present: bool) -> Optional[datetime]:
    if not present:
        return None
    return ts.ToDatetime(tzinfo=timezone.utc)


def document_from_proto(msg: document_pb2.Document) -> Document:
    """Converts a wire ``smarterbase.v1.Document`` to a ``Document``."""
    return Document(
        collection=msg.collection,
        id=msg.id,
        data=from_struct(msg.data),
        etag=msg.etag,
        version=msg.version,
        create_time=_to_datetime(msg.create_time, msg.HasField("create_time")),
        update_time=_to_datetime(msg.update_time, msg.HasField("update_time")),
        revision=msg.revision,
        expire_time=_to_datetime(msg.expire_time, msg.HasField("expire_time")),
    )
