"""Batch calls: ``Client.batch_write``, ``batch_exists`` and ``batch_delete``.

Items are built with ``put(id, data, create_only=..., etag=...)`` and
``delete(id, etag=...)`` (or the ``PutItem`` / ``DeleteItem`` dataclasses
directly). Batches are NOT atomic: each item gets its own result, in request
order, and a failed item carries in ``error`` the same typed
``SmarterBaseError`` the single call would raise.

Example::

    from smarterbase_client import batch

    results = db.batch_write("users", [
        batch.put("ada", {"name": "Ada"}),
        batch.put("bob", {"name": "Bob"}, create_only=True),
        batch.delete("eve", etag=old_etag),
    ])
    for r in results:
        if not r.ok:
            print(r.id, r.error.reason)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence, Union

from ._stubs import document_service_pb2 as pb
from .document import Document, document_from_proto, to_struct
from .errors import SmarterBaseError
from .expiry import Expiry, expiration_proto
from .error_status import error_from_status_proto


@dataclass(frozen=True)
class PutItem:
    """A put of ``batch_write``: an upsert, or create-only, or compare-and-swap on ``etag``.

    Attributes:
        id: The document id.
        data: The complete new content.
        create_only: Write only if no document has this id (``AlreadyExistsError`` otherwise).
        etag: Write only if the current etag is this one (``EtagMismatchError`` otherwise).
        expiry: When the written version expires (``Expiry``); None: the collection's default.
    """

    id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    create_only: bool = False
    etag: str = ""
    expiry: Optional[Expiry] = None

    def __post_init__(self) -> None:
        if self.create_only and self.etag:
            raise ValueError(f"put item {self.id!r}: create_only and etag are mutually exclusive")

    def to_proto(self) -> pb.BatchWriteItem:
        """The wire form of this item."""
        return pb.BatchWriteItem(put=pb.BatchPut(id=self.id, data=to_struct(self.data),
                                                 create_only=self.create_only, etag=self.etag,
                                                 expiration=expiration_proto(self.expiry)))


@dataclass(frozen=True)
class DeleteItem:
    """A delete of ``batch_write`` or ``batch_delete``, optionally only of the version ``etag``.

    Attributes:
        id: The document id.
        etag: Delete only if the current etag is this one (``EtagMismatchError`` otherwise).
    """

    id: str
    etag: str = ""

    def to_proto(self) -> pb.BatchWriteItem:
        """The wire form of this item inside ``batch_write``."""
        return pb.BatchWriteItem(delete=self.to_delete_proto())

    def to_delete_proto(self) -> pb.BatchDeleteItem:
        """The wire form of this item inside ``batch_delete``."""
        return pb.BatchDeleteItem(id=self.id, etag=self.etag)


#: One item of ``batch_write``.
BatchItem = Union[PutItem, DeleteItem]


def put(id: str, data: Mapping[str, Any], *, create_only: bool = False, etag: str = "",
        expiry: Optional[Expiry] = None) -> PutItem:
    """Builds a put item (see ``PutItem``)."""
    return PutItem(id=id, data=data, create_only=create_only, etag=etag, expiry=expiry)


def delete(id: str, *, etag: str = "") -> DeleteItem:
    """Builds a delete item (see ``DeleteItem``)."""
    return DeleteItem(id=id, etag=etag)


@dataclass(frozen=True)
class BatchWriteResult:
    """The outcome of one item of ``batch_write`` / ``batch_delete``, in request order.

    Attributes:
        id: The item's document id.
        error: None on success; else the typed error the single call would raise.
        document: For a successful put, the document as stored.
        deleted: For a successful delete, whether a document was deleted.
    """

    id: str
    error: Optional[SmarterBaseError] = None
    document: Optional[Document] = None
    deleted: bool = False

    @property
    def ok(self) -> bool:
        """True when the item succeeded."""
        return self.error is None

    def raise_for_error(self) -> "BatchWriteResult":
        """Raises ``error`` when the item failed; returns self otherwise."""
        if self.error is not None:
            raise self.error
        return self


@dataclass(frozen=True)
class BatchExistsItem:
    """One answer of ``batch_exists``, in request order; true in a boolean context when it exists.

    Attributes:
        id: The id asked about.
        exists: True when the document exists.
        etag: Its current etag when it exists, else empty.
    """

    id: str
    exists: bool
    etag: str = ""

    def __bool__(self) -> bool:
        return self.exists


def result_from_proto(msg: pb.BatchWriteResult) -> BatchWriteResult:
    """Converts one wire result, decoding its google.rpc.Status into a typed error."""
    error = error_from_status_proto(msg.status) if msg.HasField("status") else None
    if error is not None:
        return BatchWriteResult(id=msg.id, error=error)
    document = document_from_proto(msg.document) if msg.HasField("document") else None
    return BatchWriteResult(id=msg.id, document=document, deleted=msg.deleted)


class BatchMixin:
    """The batch methods of ``Client`` (uses its ``_call`` and ``_stub``)."""

    _stub: Any
    _call: Callable[..., Any]

    def batch_write(self, collection: str, items: Iterable[BatchItem], *,
                    timeout: Optional[float] = None) -> List[BatchWriteResult]:
        """Applies puts and deletes of one collection, NOT atomically.

        Returns one ``BatchWriteResult`` per item, in request order; a failed
        item's ``error`` is what the single call would raise. Raises only when
        the whole request fails (e.g. too many items).
        """
        writes = [_check_item(item).to_proto() for item in items]
        res = self._call(self._stub.BatchWrite, pb.BatchWriteRequest(collection=collection, writes=writes), timeout)
        return [result_from_proto(r) for r in res.results]

    def batch_exists(self, collection: str, ids: Iterable[str], *,
                     timeout: Optional[float] = None) -> List[BatchExistsItem]:
        """Tells for each id whether the document exists (and its etag), in request order."""
        res = self._call(self._stub.BatchExists, pb.BatchExistsRequest(collection=collection, ids=list(ids)), timeout)
        return [BatchExistsItem(id=r.id, exists=r.exists, etag=r.etag) for r in res.results]

    def batch_delete(self, collection: str, items: Iterable[Union[DeleteItem, str]], *,
                     timeout: Optional[float] = None) -> List[BatchWriteResult]:
        """Deletes many documents, NOT atomically; items are ``DeleteItem`` (or bare ids).

        Returns one ``BatchWriteResult`` per item, in request order.
        """
        protos: Sequence[pb.BatchDeleteItem] = [_delete_item(item).to_delete_proto() for item in items]
        res = self._call(self._stub.BatchDelete, pb.BatchDeleteRequest(collection=collection, items=protos), timeout)
        return [result_from_proto(r) for r in res.results]


def _check_item(item: Any) -> BatchItem:
    if not isinstance(item, (PutItem, DeleteItem)):
        raise TypeError(f"batch_write takes PutItem / DeleteItem items, got {type(item).__name__}")
    return item


def _delete_item(item: Any) -> DeleteItem:
    if isinstance(item, str):
        return DeleteItem(item)
    if not isinstance(item, DeleteItem):
        raise TypeError(f"batch_delete takes DeleteItem items or ids, got {type(item).__name__}")
    return item


__all__ = ["BatchExistsItem", "BatchItem", "BatchMixin", "BatchWriteResult", "DeleteItem", "PutItem",
           "delete", "put", "result_from_proto"]
