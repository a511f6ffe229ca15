"""The SmarterBase client: one method per DocumentService, QueryService,
AdminService, LockService and StreamService RPC (queries.py, locks.py,
batch.py, transactions.py, watch.py) and the log calls as ``db.logs`` (logs.py),
native types in and out, typed errors, automatic retry of UNAVAILABLE only."""
from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union

import grpc

from ._stubs import document_service_pb2 as pb
from ._stubs import document_service_pb2_grpc as pb_grpc
from .batch import BatchMixin
from .document import Document, JsonObject, ListPage, document_from_proto, to_struct
from .errors import EtagMismatchError
from .expiry import Expiry, expiration_proto
from .error_status import error_from_rpc_error
from .locks import LockGuard, LockMixin, guard_proto
from .objects import Objects
from .logs import Logs
from .queries import QueryMixin
from .retry import RETRYABLE_CODE, RetryPolicy, call_with_retry
from .security import ApiKeyInterceptor, TlsConfig
from .transactions import TransactionMixin
from .watch import WatchMixin

#: Default channel options: allow large List pages (documents are up to 1 MiB each).
DEFAULT_CHANNEL_OPTIONS: Tuple[Tuple[str, Any], ...] = (
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
)


@dataclass(frozen=True)
class ExistsResult:
    """Answer of ``Client.exists``; true in a boolean context when the document exists.

    Attributes:
        exists: True when the document exists.
        etag: The current etag when it exists, else empty.
    """

    exists: bool
    etag: str = ""

    def __bool__(self) -> bool:
        return self.exists


@dataclass(frozen=True)
class DeleteResult:
    """Answer of ``Client.delete_with_revision``; true in a boolean context when deleted.

    Attributes:
        deleted: True when this call deleted the document.
        revision: The delete's collection revision (its change in a watch); 0 when nothing was deleted.
    """

    deleted: bool
    revision: int = 0

    def __bool__(self) -> bool:
        return self.deleted


@dataclass(frozen=True)
class BatchGetItem:
    """One answer of ``Client.batch_get``, in request order.

    Attributes:
        id: The requested id this item answers.
        document: The document when found, else None.
        read_revision: Every change of the collection up to this revision was
            stored before the read began (0: unknown); watch from it.
    """

    id: str
    document: Optional[Document]
    read_revision: int = 0

    @property
    def found(self) -> bool:
        """True when the document exists."""
        return self.document is not None


class Client(QueryMixin, LockMixin, BatchMixin, TransactionMixin, WatchMixin):
    """A connection to a SmarterBase server. Thread-safe; share one per process.

    Args:
        address: ``host:port`` of the gRPC endpoint.
        timeout: Default deadline in seconds of each call, retries included
            (None: no deadline). Every method also takes ``timeout=``.
        retries: Retry policy for UNAVAILABLE (default ``RetryPolicy()``:
            4 attempts; ``RetryPolicy.disabled()`` turns retry off).
        credentials: TLS channel credentials; None for a plaintext channel
            (unless ``tls`` is given).
        tls: TLS to the server: ``True`` verifies it against the system roots;
            a ``TlsConfig`` gives a private CA and/or a client certificate
            (mTLS), e.g. ``TlsConfig.from_files("ca.crt", "client.crt", "client.key")``.
            Default: plaintext.
        api_key: Sent as ``authorization: Bearer <api_key>`` metadata on every
            call (also with ``channel``). Default: none.
        channel_options: Extra gRPC channel options, added after the defaults.
        channel: An existing channel to use instead of creating one (then
            ``address``, ``credentials`` and ``channel_options`` are ignored,
            and ``close`` still closes it).
    """

    def __init__(
        self,
        address: str,
        *,
        timeout: Optional[float] = None,
        retries: Optional[RetryPolicy] = None,
        credentials: Optional[grpc.ChannelCredentials] = None,
        channel_options: Sequence[Tuple[str, Any]] = (),
        channel: Optional[grpc.Channel] = None,
        tls: Union[bool, TlsConfig] = False,
        api_key: Optional[str] = None,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.retries = retries if retries is not None else RetryPolicy()
        options = list(DEFAULT_CHANNEL_OPTIONS) + list(channel_options)
        if tls is not False and credentials is None:
            config = TlsConfig() if tls is True else tls
            credentials = config.credentials()
            options += config.channel_options()
        if channel is None:
            channel = (grpc.secure_channel(address, credentials, options) if credentials is not None
                       else grpc.insecure_channel(address, options))
        self._channel = channel
        if api_key is not None:
            channel = grpc.intercept_channel(channel, ApiKeyInterceptor(api_key))
        self._stub = pb_grpc.DocumentServiceStub(channel)
        self._init_query_stubs(channel)
        self._init_lock_stub(channel)
        self._init_watch_stub(channel)
        #: The object calls: ``upload``, ``download``, ``stat``, ``delete``, ``list`` (see objects.py).
        self.objects = Objects(self, channel)
        #: The log calls: ``append``, ``appender`` and ``read`` (see logs.py).
        self.logs = Logs(self, channel)
        self._sleep: Callable[[float], None] = time.sleep

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Closes the channel; in-flight calls are cancelled."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------

    def _call(self, method: Callable[..., Any], request: Any, timeout: Optional[float]) -> Any:
        """Invokes a unary RPC with the retry policy, translating errors."""

        def attempt(remaining: Optional[float]) -> Any:
            try:
                return method(request, timeout=remaining)
            except grpc.RpcError as err:
                raise error_from_rpc_error(err) from None

        return call_with_retry(attempt, self.retries,
                               timeout if timeout is not None else self.timeout, sleep=self._sleep)

    # -- RPCs --------------------------------------------------------------

    def get(self, collection: str, id: str, *, timeout: Optional[float] = None) -> Document:
        """Returns one document. Raises ``NotFoundError`` when it does not exist."""
        return self.get_with_read_revision(collection, id, timeout=timeout)[0]

    def get_with_read_revision(self, collection: str, id: str, *,
                               timeout: Optional[float] = None) -> Tuple[Document, int]:
        """``get`` that also returns the read's revision: every change of the
        collection up to it was stored before the read began (0: unknown).
        Watch from it to follow the collection with no gap."""
        res = self._call(self._stub.Get, pb.GetRequest(collection=collection, id=id), timeout)
        return document_from_proto(res.document), res.read_revision

    def put(self, collection: str, id: str, data: Mapping[str, Any], *, create_only: bool = False,
            lock_guard: Optional[LockGuard] = None, expiry: Optional[Expiry] = None,
            timeout: Optional[float] = None) -> Document:
        """Writes a document whether or not it exists (upsert).

        With ``create_only=True`` writes only when no document has this id,
        else raises ``AlreadyExistsError``. With ``lock_guard`` writes only
        while that lock grant is the latest, else raises ``LockNotHeldError``.
        ``expiry`` sets when the written version expires (default: the
        collection's default TTL, or never).
        """
        req = pb.PutRequest(collection=collection, id=id, data=to_struct(data), create_only=create_only,
                            lock_guard=guard_proto(lock_guard), expiration=expiration_proto(expiry))
        return document_from_proto(self._call(self._stub.Put, req, timeout).document)

    def put_if_match(self, collection: str, id: str, data: Mapping[str, Any], etag: str, *,
                     lock_guard: Optional[LockGuard] = None, expiry: Optional[Expiry] = None,
                     timeout: Optional[float] = None) -> Document:
        """Replaces a document only if its current etag is ``etag`` (compare-and-swap).

        Raises ``EtagMismatchError`` (with ``current_etag``) when stale,
        ``NotFoundError`` when the document does not exist,
        ``LockNotHeldError`` when ``lock_guard`` is no longer the latest grant.
        ``expiry`` sets when the written version expires.
        """
        req = pb.PutIfMatchRequest(collection=collection, id=id, data=to_struct(data), etag=etag,
                                   lock_guard=guard_proto(lock_guard), expiration=expiration_proto(expiry))
        return document_from_proto(self._call(self._stub.PutIfMatch, req, timeout).document)

    def create(self, collection: str, data: Mapping[str, Any], *, id: str = "",
               expiry: Optional[Expiry] = None, timeout: Optional[float] = None) -> Document:
        """Creates a new document (version 1). Without ``id`` the server assigns a UUIDv7.

        Raises ``AlreadyExistsError`` when the id is taken. ``expiry`` sets when it expires.
        """
        req = pb.CreateRequest(collection=collection, id=id, data=to_struct(data),
                               expiration=expiration_proto(expiry))
        return document_from_proto(self._call(self._stub.Create, req, timeout).document)

    def delete(self, collection: str, id: str, *, etag: str = "", lock_guard: Optional[LockGuard] = None,
               timeout: Optional[float] = None) -> bool:
        """Deletes a document; True when this call deleted it, False when none existed.

        With ``etag`` deletes only that version: ``EtagMismatchError`` when
        stale, ``NotFoundError`` when the document is gone. With
        ``lock_guard``: ``LockNotHeldError`` when no longer the latest grant.
        """
        return self.delete_with_revision(collection, id, etag=etag, lock_guard=lock_guard, timeout=timeout).deleted

    def delete_with_revision(self, collection: str, id: str, *, etag: str = "", lock_guard: Optional[LockGuard] = None,
                             timeout: Optional[float] = None) -> DeleteResult:
        """``delete`` that also returns the delete's revision (its change in a watch; 0 when
        nothing was deleted): watch from it to follow what came after your write."""
        req = pb.DeleteRequest(collection=collection, id=id, etag=etag, lock_guard=guard_proto(lock_guard))
        res = self._call(self._stub.Delete, req, timeout)
        return DeleteResult(deleted=bool(res.deleted), revision=res.revision)

    def exists(self, collection: str, id: str, *, timeout: Optional[float] = None) -> ExistsResult:
        """Tells whether a document exists (and its etag), without reading its data."""
        res = self._call(self._stub.Exists, pb.ExistsRequest(collection=collection, id=id), timeout)
        return ExistsResult(exists=res.exists, etag=res.etag)

    def list(self, collection: str, *, page_size: int = 0, page_token: str = "", id_prefix: str = "",
             keys_only: bool = False, timeout: Optional[float] = None) -> ListPage:
        """Returns one page of a collection's documents in ascending id order.

        ``page_size`` 0 means the server default (100). Pages may be shorter
        than ``page_size``; the listing ends only when ``next_page_token`` is
        empty. With ``keys_only`` documents carry only collection and id.
        """
        req = pb.ListRequest(collection=collection, page_size=page_size, page_token=page_token,
                             id_prefix=id_prefix, keys_only=keys_only)
        res = self._call(self._stub.List, req, timeout)
        return ListPage(documents=[document_from_proto(d) for d in res.documents],
                        next_page_token=res.next_page_token, read_revision=res.read_revision)

    def list_all(self, collection: str, *, page_size: int = 0, id_prefix: str = "",
                 keys_only: bool = False, timeout: Optional[float] = None) -> Iterator[Document]:
        """Yields every document of a collection in ascending id order, fetching
        page after page lazily (``timeout`` applies to each page)."""
        token = ""
        while True:
            page = self.list(collection, page_size=page_size, page_token=token, id_prefix=id_prefix,
                             keys_only=keys_only, timeout=timeout)
            yield from page.documents
            token = page.next_page_token
            if not token:
                return

    def batch_get(self, collection: str, ids: Iterable[str], *,
                  timeout: Optional[float] = None) -> Iterator[BatchGetItem]:
        """Yields one ``BatchGetItem`` per requested id, in request order, as the
        server streams them.

        The call starts when iteration starts. ``timeout`` bounds the whole
        stream. On UNAVAILABLE the ids not yet answered are requested again
        (per the retry policy), so no id is answered twice.
        """
        all_ids: List[str] = list(ids)
        answered = 0
        total_timeout = timeout if timeout is not None else self.timeout
        deadline = None if total_timeout is None else time.monotonic() + total_timeout
        attempt_number = 1
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            request = pb.BatchGetRequest(collection=collection, ids=all_ids[answered:])
            call = self._stub.BatchGet(request, timeout=remaining)
            try:
                for msg in call:
                    answered += 1
                    yield BatchGetItem(id=msg.id, document=document_from_proto(msg.document)
                                       if msg.found else None, read_revision=msg.read_revision)
                return
            except grpc.RpcError as rpc_err:
                err = error_from_rpc_error(rpc_err)
                if all_ids and answered >= len(all_ids):
                    return  # every id was answered before the stream failed
                if err.code != RETRYABLE_CODE or attempt_number >= self.retries.max_attempts:
                    raise err from None
                wait = self.retries.backoff(attempt_number, err.retry_delay)
                if deadline is not None and time.monotonic() + wait >= deadline:
                    raise err from None
                self._sleep(wait)
                attempt_number += 1
            finally:
                call.cancel()

    # -- helpers -----------------------------------------------------------

    def update(self, collection: str, id: str, fn: Callable[[JsonObject], Mapping[str, Any]], *,
               max_attempts: int = 10, expiry: Optional[Expiry] = None,
               timeout: Optional[float] = None) -> Document:
        """Read-modify-write with compare-and-swap: get → ``fn(data)`` → put_if_match.

        ``fn`` receives a private copy of the current data and returns the
        new data; it may run several times, so it must have no other side
        effects. On ``EtagMismatchError`` the whole cycle is retried after a
        short jittered pause, up to ``max_attempts`` cycles, after which the
        last ``EtagMismatchError`` is raised. ``NotFoundError`` propagates.
        ``expiry`` goes to the write: expiry belongs to a version, so without
        it the new version takes the collection's default, not the old
        version's expiry. Returns the stored document.
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        for attempt_number in range(1, max_attempts + 1):
            current = self.get(collection, id, timeout=timeout)
            new_data = fn(copy.deepcopy(current.data))
            if not isinstance(new_data, Mapping):
                raise TypeError(f"update fn must return a mapping, got {type(new_data).__name__}")
            try:
                return self.put_if_match(collection, id, new_data, current.etag, expiry=expiry, timeout=timeout)
            except EtagMismatchError:
                if attempt_number >= max_attempts:
                    raise
                self._sleep(random.random() * min(0.1, 0.002 * 2 ** attempt_number))
        raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["BatchGetItem", "Client", "ExistsResult"]
