"""Transactions: ``Client.transaction()`` builds an all-or-nothing ``Commit`` of up to
100 writes (set, delete or check-only) to documents of any collections, each
optionally guarded by a precondition; ``Client.run_transaction`` re-runs a
read-then-commit function while the commit is aborted by a failed precondition
or contention.

Example::

    tx = db.transaction()
    tx.set("accounts", "a", {"balance": 5}, if_etag=a.etag)
    tx.delete("accounts", "b", if_exists=True)
    tx.check("config", "frozen", if_exists=False)
    result = tx.commit()            # CommitResult(results, transaction_id, commit_time)

Every commit carries a request id (a uuid4 unless given), so the client's
automatic retry of UNAVAILABLE cannot apply a transaction twice: the server
answers a repeated request id with the first commit's response. A failed
precondition raises ``PreconditionFailedError`` whose ``precondition_failures``
name the failing writes (``"writes[i]"``); nothing is written then.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, List, Mapping, Optional, Set, Tuple, TypeVar

from ._stubs import document_service_pb2 as pb
from .document import to_struct
from .errors import AbortedError
from .expiry import Expiry, expiration_proto
from .locks import LockGuard, guard_proto

T = TypeVar("T")

#: The ABORTED reasons after which ``run_transaction`` runs the function again.
RETRYABLE_TRANSACTION_REASONS = frozenset({"PRECONDITION_FAILED", "TRANSACTION_CONTENTION"})

#: Default number of attempts of ``run_transaction``.
DEFAULT_TRANSACTION_ATTEMPTS = 10

#: Cap in seconds of ``run_transaction``'s wait between attempts.
MAX_TRANSACTION_BACKOFF = 0.2


@dataclass(frozen=True)
class TransactionWriteResult:
    """The outcome of one write of a committed transaction, in request order.

    Attributes:
        collection: The document's collection.
        id: The document's id.
        etag: The etag after the commit: new for a set, unchanged for a check of an
            existing document, empty for a delete or a check of an absent document.
        version: The version after the commit (1 for a created document); 0 when
            the document does not exist after the commit.
    """

    collection: str
    id: str
    etag: str
    version: int

    @property
    def exists(self) -> bool:
        """True when the document exists after the commit."""
        return self.version > 0


@dataclass(frozen=True)
class CommitResult:
    """The answer of a successful commit.

    Attributes:
        results: One ``TransactionWriteResult`` per write, in request order.
        transaction_id: The server's id of the transaction (also in its logs).
        commit_time: When the transaction committed (UTC), by the server's clock.
    """

    results: List[TransactionWriteResult]
    transaction_id: str
    commit_time: datetime

    def __iter__(self) -> Iterator[TransactionWriteResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> TransactionWriteResult:
        return self.results[index]


def _precondition(if_etag: Optional[str], if_exists: Optional[bool], what: str) -> Optional[pb.Precondition]:
    if if_etag is not None and if_exists is not None:
        raise ValueError(f"{what}: if_etag and if_exists are mutually exclusive")
    if if_etag is not None:
        if not isinstance(if_etag, str) or not if_etag:
            raise ValueError(f"{what}: if_etag must be a non-empty etag")
        return pb.Precondition(etag=if_etag)
    if if_exists is not None:
        if not isinstance(if_exists, bool):
            raise TypeError(f"{what}: if_exists must be True or False")
        return pb.Precondition(exists=if_exists)
    return None


def _check_request_id(request_id: str) -> str:
    if not isinstance(request_id, str) or not request_id:
        raise ValueError("request_id must be a non-empty string (1-128 printable ASCII characters)")
    return request_id


def _time(ts: Any) -> datetime:
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=timezone.utc)


def commit_result_from_proto(res: pb.CommitResponse) -> CommitResult:
    """Converts a CommitResponse into a ``CommitResult``."""
    return CommitResult(
        results=[TransactionWriteResult(r.collection, r.id, r.etag, int(r.version)) for r in res.results],
        transaction_id=res.transaction_id,
        commit_time=_time(res.commit_time),
    )


class Transaction:
    """Builds the writes of one atomic commit (``Client.transaction()``); not thread-safe.

    ``set``, ``delete`` and ``check`` add one write each (at most one per
    document) and return the transaction, so calls chain. Preconditions:
    ``if_etag="..."`` (the document must exist with that etag) or
    ``if_exists=True`` / ``False`` (it must exist / be absent), not both.

    The transaction's ``request_id`` (a uuid4 unless given) is sent with every
    ``commit()``, so committing the same transaction again (for instance after
    a timeout whose outcome is unknown) never applies it twice. After a
    successful commit no more writes can be added.
    """

    def __init__(self, client: Any, *, request_id: Optional[str] = None,
                 lock_guard: Optional[LockGuard] = None) -> None:
        self._client = client
        self.request_id: str = _check_request_id(request_id) if request_id is not None else str(uuid.uuid4())
        self.lock_guard = lock_guard
        self._writes: List[pb.TransactionWrite] = []
        self._keys: Set[Tuple[str, str]] = set()
        #: The result of the successful commit, None before it.
        self.result: Optional[CommitResult] = None

    def __len__(self) -> int:
        return len(self._writes)

    @property
    def committed(self) -> bool:
        """True once ``commit()`` succeeded."""
        return self.result is not None

    def _add(self, collection: str, id: str, precondition: Optional[pb.Precondition], **op: Any) -> "Transaction":
        if self.committed:
            raise RuntimeError("this transaction is already committed; start a new one")
        key = (collection, id)
        if key in self._keys:
            raise ValueError(f"{collection}/{id} is already written in this transaction (one write per document)")
        self._writes.append(pb.TransactionWrite(collection=collection, id=id, precondition=precondition, **op))
        self._keys.add(key)
        return self

    def set(self, collection: str, id: str, data: Mapping[str, Any], *, if_etag: Optional[str] = None,
            if_exists: Optional[bool] = None, expiry: Optional[Expiry] = None) -> "Transaction":
        """Replaces (or creates) a document with ``data``; ``expiry`` sets when the version expires."""
        pre = _precondition(if_etag, if_exists, f"set {collection}/{id}")
        return self._add(collection, id, pre, set=pb.SetOperation(data=to_struct(data),
                                                                  expiration=expiration_proto(expiry)))

    def create(self, collection: str, id: str, data: Mapping[str, Any]) -> "Transaction":
        """Creates a document that must not exist yet (``set`` with ``if_exists=False``)."""
        return self.set(collection, id, data, if_exists=False)

    def delete(self, collection: str, id: str, *, if_etag: Optional[str] = None,
               if_exists: Optional[bool] = None) -> "Transaction":
        """Deletes a document (a no-op when absent, unless a precondition says otherwise)."""
        pre = _precondition(if_etag, if_exists, f"delete {collection}/{id}")
        return self._add(collection, id, pre, delete=pb.DeleteOperation())

    def check(self, collection: str, id: str, *, if_etag: Optional[str] = None,
              if_exists: Optional[bool] = None) -> "Transaction":
        """Writes nothing: the precondition must hold at the commit point (without
        one, the result only reports the document's etag and version then)."""
        pre = _precondition(if_etag, if_exists, f"check {collection}/{id}")
        return self._add(collection, id, pre, check=pb.CheckOperation())

    def to_proto(self, *, request_id: Optional[str] = None,
                 lock_guard: Optional[LockGuard] = None) -> pb.CommitRequest:
        """The CommitRequest of this transaction (``request_id`` / ``lock_guard`` override its own)."""
        rid = _check_request_id(request_id) if request_id is not None else self.request_id
        guard = lock_guard if lock_guard is not None else self.lock_guard
        return pb.CommitRequest(writes=list(self._writes), request_id=rid, lock_guard=guard_proto(guard))

    def commit(self, *, request_id: Optional[str] = None, lock_guard: Optional[LockGuard] = None,
               timeout: Optional[float] = None) -> CommitResult:
        """Applies every write atomically, or none.

        Raises ``PreconditionFailedError`` (``precondition_failures`` name the
        writes), ``TransactionContentionError`` (retry after ``retry_delay``),
        ``LockNotHeldError`` when the lock guard is stale, ``InvalidArgumentError``
        for a malformed or too large transaction (reason TRANSACTION_TOO_LARGE)
        or a request id reused with other writes (REQUEST_ID_REUSED). UNAVAILABLE
        is retried per the client's retry policy with the same request id.
        """
        req = self.to_proto(request_id=request_id, lock_guard=lock_guard)
        res = self._client._call(self._client._stub.Commit, req, timeout)
        self.result = commit_result_from_proto(res)
        return self.result


class TransactionMixin:
    """The transaction methods of ``Client`` (uses its ``_call``, ``_stub`` and ``_sleep``)."""

    _sleep: Callable[[float], None]

    def transaction(self, *, request_id: Optional[str] = None,
                    lock_guard: Optional[LockGuard] = None) -> Transaction:
        """Starts building an atomic commit (see ``Transaction``); nothing is sent
        until ``commit()``. ``request_id`` defaults to a fresh uuid4."""
        return Transaction(self, request_id=request_id, lock_guard=lock_guard)

    def run_transaction(self, fn: Callable[[Transaction], T], *,
                        max_attempts: int = DEFAULT_TRANSACTION_ATTEMPTS,
                        lock_guard: Optional[LockGuard] = None, timeout: Optional[float] = None) -> T:
        """Runs ``fn(tx)`` with a fresh transaction and commits it, again and again
        while the commit fails with ABORTED / PRECONDITION_FAILED or
        TRANSACTION_CONTENTION (after a short jittered pause, at least the
        server's ``retry_delay``), up to ``max_attempts`` runs; then the last
        error is raised. Any other error propagates at once.

        ``fn`` reads what it needs (e.g. ``get``) and adds writes guarded by
        preconditions (e.g. ``if_etag``); it may run several times, so it must
        have no other side effects. It may commit ``tx`` itself (e.g. to return
        the ``CommitResult``); otherwise it is committed after ``fn`` returns
        (unless it has no writes). Returns what ``fn`` returned. ``timeout``
        is the deadline of each commit.
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        for attempt_number in range(1, max_attempts + 1):
            tx = self.transaction(lock_guard=lock_guard)
            try:
                value = fn(tx)
                if not tx.committed and len(tx) > 0:
                    tx.commit(timeout=timeout)
                return value
            except AbortedError as err:
                if err.reason not in RETRYABLE_TRANSACTION_REASONS or attempt_number >= max_attempts:
                    raise
                wait = random.random() * min(MAX_TRANSACTION_BACKOFF, 0.005 * 2 ** attempt_number)
                if err.retry_delay is not None:
                    wait = max(wait, min(err.retry_delay, MAX_TRANSACTION_BACKOFF))
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["CommitResult", "RETRYABLE_TRANSACTION_REASONS", "Transaction", "TransactionMixin",
           "TransactionWriteResult", "commit_result_from_proto"]
