"""Queries (QueryService) and index administration (AdminService) of the client.

``QueryMixin`` is mixed into ``Client``; it relies on the client's ``_call``
(unary calls with retry and error translation), ``retries``, ``timeout`` and
``_sleep``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

import grpc

from ._stubs import admin_service_pb2 as admin_pb
from ._stubs import admin_service_pb2_grpc as admin_grpc
from ._stubs import index_pb2
from ._stubs import query_service_pb2 as query_pb
from ._stubs import query_service_pb2_grpc as query_grpc
from .document import Document, document_from_proto
from .errors import SmarterBaseError
from .error_status import error_from_rpc_error
from .filters import Filter, OrderBy, order_by_proto
from .retry import RETRYABLE_CODE, RetryPolicy

_KINDS = {"equality": index_pb2.INDEX_KIND_EQUALITY, "unique": index_pb2.INDEX_KIND_UNIQUE,
          "ordered": index_pb2.INDEX_KIND_ORDERED}
_STATES = {index_pb2.INDEX_STATE_BUILDING: "building", index_pb2.INDEX_STATE_READY: "ready",
           index_pb2.INDEX_STATE_FAILED: "failed"}


@dataclass(frozen=True)
class CountResult:
    """Answer of ``Client.count``.

    Attributes:
        count: How many documents match.
        storage_requests: Object-storage requests counting took (0 when indexes answered alone).
    """

    count: int
    storage_requests: int


@dataclass(frozen=True)
class QueryPlan:
    """How the server executes a query (``Client.explain``)."""

    indexes_used: List[str]
    candidate_count: int
    storage_requests: int
    scan: bool
    sorted_by_index: bool
    residual_filter: str
    description: str


@dataclass(frozen=True)
class IndexInfo:
    """An index with its state. ``kind`` is equality/unique/ordered; ``state`` building/ready/failed."""

    collection: str
    name: str
    fields: List[str]
    kind: str
    state: str
    documents_scanned: int = 0
    create_time: Optional[datetime] = None
    error: str = ""
    #: Whether the server stores HMAC hashes of the values instead of the values (equality/unique only).
    hash_values: bool = False


class IndexBuildError(Exception):
    """Raised by ``wait_for_index_ready`` when the index build failed (see ``index.error``)."""

    def __init__(self, index: IndexInfo) -> None:
        super().__init__(f"index {index.name} of {index.collection} failed to build: {index.error}")
        self.index = index


def index_from_proto(p: index_pb2.Index) -> IndexInfo:
    """Converts a wire ``smarterbase.v1.Index``."""
    kind = next((k for k, v in _KINDS.items() if v == p.kind), None)
    state = _STATES.get(p.state)
    if kind is None or state is None:
        raise ValueError(f"unknown index kind {p.kind} or state {p.state}")
    return IndexInfo(collection=p.collection, name=p.name, fields=list(p.fields), kind=kind, state=state,
                     documents_scanned=p.documents_scanned,
                     create_time=p.create_time.ToDatetime(tzinfo=timezone.utc) if p.HasField("create_time") else None,
                     error=p.error, hash_values=p.hash_values)


class QueryStream:
    """The documents of one query, streamed: iterate it once.

    While (and after) iterating, ``resume_token`` is the token of the last
    message received (pass it as ``start_after`` to continue after a broken
    stream), ``skipped_results`` counts stale index hits the server dropped,
    ``done`` is True once the server's final message arrived, and
    ``read_revision`` is the read's revision (watch from it). ``close()``
    (or leaving a ``with`` block) cancels the call. An UNAVAILABLE error
    before the first message is retried per the client's retry policy.
    """

    def __init__(self, open_call: Callable[[Optional[float]], Any], retries: RetryPolicy,
                 timeout: Optional[float], sleep: Callable[[float], None]) -> None:
        self._open = open_call
        self._retries = retries
        self._timeout = timeout
        self._sleep = sleep
        self._call: Any = None
        self._started = False
        self.resume_token = ""
        self.skipped_results = 0
        self.done = False
        self.read_revision = 0

    def __iter__(self) -> Iterator[Document]:
        if self._started:
            raise RuntimeError("a QueryStream can be iterated only once; call query() again")
        self._started = True
        return self._documents()

    def _documents(self) -> Iterator[Document]:
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        attempt = 1
        delivered = False
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._call = self._open(remaining)
            try:
                for msg in self._call:
                    if msg.resume_token:
                        self.resume_token = msg.resume_token
                    self.skipped_results = msg.skipped_results
                    if msg.read_revision:
                        self.read_revision = msg.read_revision
                    if msg.done:
                        self.done = True
                        continue
                    delivered = True
                    yield document_from_proto(msg.document)
                return
            except grpc.RpcError as rpc_err:
                err = error_from_rpc_error(rpc_err)
                if delivered or err.code != RETRYABLE_CODE or attempt >= self._retries.max_attempts:
                    raise err from None
                wait = self._retries.backoff(attempt, err.retry_delay)
                if deadline is not None and time.monotonic() + wait >= deadline:
                    raise err from None
                self._sleep(wait)
                attempt += 1
            finally:
                self._call.cancel()

    def to_list(self) -> List[Document]:
        """Collects every document (use only when the result is known to be small)."""
        return list(self)

    def close(self) -> None:
        """Cancels the call if it is running."""
        if self._call is not None:
            self._call.cancel()

    def __enter__(self) -> "QueryStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _filter_fields(filter: Optional[Filter], filter_expression: str) -> dict:
    out: dict = {"filter_expression": filter_expression}
    if filter is not None:
        out["filter"] = filter
    return out


class QueryMixin:
    """QueryService and AdminService methods of ``Client``."""

    retries: RetryPolicy
    timeout: Optional[float]
    _sleep: Callable[[float], None]
    _call: Callable[..., Any]

    def _init_query_stubs(self, channel: grpc.Channel) -> None:
        self._query_stub = query_grpc.QueryServiceStub(channel)
        self._admin_stub = admin_grpc.AdminServiceStub(channel)

    def query(self, collection: str, *, filter: Optional[Filter] = None, filter_expression: str = "",
              order_by: Iterable[Union[str, OrderBy]] = (), limit: int = 0, offset: int = 0,
              start_after: str = "", projection: Iterable[str] = (), require_index: bool = False,
              timeout: Optional[float] = None) -> QueryStream:
        """Streams the documents matching a query, in order (filter → order_by → offset → limit).

        ``filter`` is a typed filter built with ``smarterbase_client.filters``;
        ``filter_expression`` the same as a string (set at most one).
        ``order_by`` takes field names (ascending) or ``filters.desc(...)``.
        The call starts when iteration starts; ``timeout`` bounds the whole stream.
        """
        paths = list(projection)
        req = query_pb.QueryRequest(collection=collection, order_by=order_by_proto(order_by), limit=limit,
                                    offset=offset, start_after=start_after, require_index=require_index,
                                    **_filter_fields(filter, filter_expression))
        if paths:
            req.projection.field_paths.extend(paths)
        return QueryStream(lambda remaining: self._query_stub.Query(req, timeout=remaining), self.retries,
                           timeout if timeout is not None else self.timeout, self._sleep)

    def count(self, collection: str, *, filter: Optional[Filter] = None, filter_expression: str = "",
              require_index: bool = False, timeout: Optional[float] = None) -> CountResult:
        """Counts the matching documents (from indexes alone when they cover the filter)."""
        req = query_pb.CountRequest(collection=collection, require_index=require_index,
                                    **_filter_fields(filter, filter_expression))
        res = self._call(self._query_stub.Count, req, timeout)
        return CountResult(count=res.count, storage_requests=res.storage_requests)

    def explain(self, collection: str, *, filter: Optional[Filter] = None, filter_expression: str = "",
                order_by: Iterable[Union[str, OrderBy]] = (), limit: int = 0, offset: int = 0,
                timeout: Optional[float] = None) -> QueryPlan:
        """The plan the server would use for the query, without running it."""
        req = query_pb.ExplainRequest(collection=collection, order_by=order_by_proto(order_by), limit=limit,
                                      offset=offset, **_filter_fields(filter, filter_expression))
        p = self._call(self._query_stub.Explain, req, timeout).plan
        return QueryPlan(indexes_used=list(p.indexes_used), candidate_count=p.candidate_count,
                         storage_requests=p.storage_requests, scan=p.scan, sorted_by_index=p.sorted_by_index,
                         residual_filter=p.residual_filter, description=p.description)

    def create_index(self, collection: str, name: str, fields: Iterable[str], kind: str, *,
                     hash_values: bool = False, timeout: Optional[float] = None) -> IndexInfo:
        """Creates an index (``kind``: equality, unique or ordered): ready at once on an
        empty collection, else building (see ``wait_for_index_ready``). ``hash_values``
        (equality/unique only) makes the server store HMAC hashes of the values, not the
        values (needs ``SB_INDEX_HASH_KEY_FILE`` on the server; eq and in still work)."""
        if kind not in _KINDS:
            raise ValueError(f"index kind must be equality, unique or ordered, got {kind!r}")
        index = index_pb2.Index(collection=collection, name=name, fields=list(fields), kind=_KINDS[kind],
                                hash_values=hash_values)
        return index_from_proto(self._call(self._admin_stub.CreateIndex, admin_pb.CreateIndexRequest(index=index),
                                           timeout).index)

    def get_index(self, collection: str, name: str, *, timeout: Optional[float] = None) -> IndexInfo:
        """One index with its state and build progress; ``IndexNotFoundError`` when absent."""
        req = admin_pb.GetIndexRequest(collection=collection, name=name)
        return index_from_proto(self._call(self._admin_stub.GetIndex, req, timeout).index)

    def list_indexes(self, collection: str, *, timeout: Optional[float] = None) -> List[IndexInfo]:
        """The indexes of a collection, by name."""
        res = self._call(self._admin_stub.ListIndexes, admin_pb.ListIndexesRequest(collection=collection), timeout)
        return [index_from_proto(i) for i in res.indexes]

    def drop_index(self, collection: str, name: str, *, timeout: Optional[float] = None) -> None:
        """Drops an index and its entries; ``IndexNotFoundError`` when absent."""
        self._call(self._admin_stub.DropIndex, admin_pb.DropIndexRequest(collection=collection, name=name), timeout)

    def wait_for_index_ready(self, collection: str, name: str, *, poll_interval: float = 0.1,
                             timeout: float = 60.0) -> IndexInfo:
        """Polls ``get_index`` until the index is ready and returns it.

        Raises ``IndexBuildError`` when the build failed and ``TimeoutError``
        when it is not ready within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            info = self.get_index(collection, name)
            if info.state == "ready":
                return info
            if info.state == "failed":
                raise IndexBuildError(info)
            if time.monotonic() + poll_interval > deadline:
                raise TimeoutError(f"index {name} of {collection} not ready within {timeout} s "
                                   f"(state {info.state}, {info.documents_scanned} documents scanned)")
            self._sleep(poll_interval)


__all__ = ["CountResult", "IndexBuildError", "IndexInfo", "QueryMixin", "QueryPlan", "QueryStream",
           "index_from_proto"]
