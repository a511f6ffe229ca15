"""Watch: a collection's changes as a generator that resumes by itself.

A ``WatchStream`` calls StreamService.Watch, yields one ``WatchBatch`` per
message (changes or progress), remembers the last revision delivered, and
after a disconnect or a retryable error calls Watch again from that
revision, with capped exponential backoff and full jitter (never shorter
than the server's RetryInfo). It never yields changes at or below a revision
already delivered; a progress mark is yielded once per revision, also at the
one it started from (caught up with a read). REVISION_COMPACTED raises ``RevisionCompactedError``; any
other non-retryable error is raised too.

With ``initial_snapshot`` the watch first yields the current documents
(``kind == "snapshot"``), the changes made meanwhile, then one
``"snapshot_complete"`` batch: the state built so far is exactly the
collection at its revision. A resume after that continues from the last
revision without a snapshot; an interruption before it raises the error (the
partial state cannot be continued: watch again).
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, List, Optional

import grpc

from ._stubs import stream_service_pb2 as stream_pb
from ._stubs import stream_service_pb2_grpc as stream_grpc
from .document import Document, document_from_proto
from .error_status import error_from_rpc_error
from .errors import SmarterBaseError
from .locks import seconds_to_duration
from .retry import RetryPolicy

#: Called before each resume with (consecutive failures, the error or None when the
#: stream just ended, the wait in seconds).
OnResume = Callable[[int, Optional[SmarterBaseError], float], None]

#: The ``Change.type`` of each wire ChangeType.
_CHANGE_TYPES = {
    stream_pb.CHANGE_TYPE_PUT: "PUT",
    stream_pb.CHANGE_TYPE_DELETE: "DELETE",
    stream_pb.CHANGE_TYPE_EXPIRE: "EXPIRE",
}

_LOST_CONNECTION_CODES = (grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)


@dataclass(frozen=True)
class Change:
    """One document change of a ``WatchBatch``.

    Attributes:
        type: ``"PUT"`` (created or replaced), ``"DELETE"``, ``"EXPIRE"`` (the
            document expired and was purged; no document), or ``"UNKNOWN"``
            (a type this client does not know, from a newer server).
        id: The document id.
        document: The document as written (PUT); None for a DELETE or an EXPIRE.
        revision: The revision of this change.
        previous_revision: The document's revision before it; 0 when it did not exist.
        previous_document: With ``include_previous``: the document at previous_revision;
            None when none or unavailable.
        previous_unavailable: With ``include_previous``: True when the change at
            previous_revision is no longer kept by the server.
    """

    type: str
    id: str
    document: Optional[Document]
    revision: int
    previous_revision: int = 0
    previous_document: Optional[Document] = None
    previous_unavailable: bool = False


@dataclass(frozen=True)
class WatchBatch:
    """One message of a watch: the changes of one write or transaction, a progress
    mark (``progress`` True, no changes), a page of the initial snapshot, or its end.

    Attributes:
        revision: Changes: this batch's revision. Progress: every change up to it was delivered.
            Snapshot: the revision its listing started from. Snapshot complete: the revision
            the state is now exactly at.
        progress: True for a progress mark.
        changes: The changes, in the transaction's write order.
        transaction_id: The Commit's id for two or more writes, else empty.
        commit_time: When the write committed (server clock); None for progress.
        kind: ``"changes"``, ``"progress"``, ``"snapshot"`` or ``"snapshot_complete"``.
        documents: A snapshot page's current documents, in id order.
    """

    revision: int
    progress: bool
    changes: List[Change] = field(default_factory=list)
    transaction_id: str = ""
    commit_time: Optional[datetime] = None
    kind: str = "changes"
    documents: List[Document] = field(default_factory=list)


def is_watch_retryable(err: SmarterBaseError) -> bool:
    """True when a watch resumes after ``err``: UNAVAILABLE, RESOURCE_EXHAUSTED /
    WATCH_TOO_SLOW, or a connection lost mid-stream (INTERNAL, CANCELLED or UNKNOWN
    without an ErrorInfo reason: a SmarterBase server's own errors always carry one)."""
    if err.code == grpc.StatusCode.UNAVAILABLE:
        return True
    if err.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return err.reason == "WATCH_TOO_SLOW"
    return err.code in _LOST_CONNECTION_CODES and not err.reason


def batch_from_proto(msg: Any) -> Optional[WatchBatch]:
    """Converts a ``WatchResponse``; None for a message of no known kind."""
    kind = msg.WhichOneof("kind")
    if kind == "progress":
        return WatchBatch(revision=msg.revision, progress=True, kind="progress")
    if kind == "snapshot":
        if msg.snapshot.complete:
            return WatchBatch(revision=msg.revision, progress=False, kind="snapshot_complete")
        return WatchBatch(revision=msg.revision, progress=False, kind="snapshot",
                          documents=[document_from_proto(d) for d in msg.snapshot.documents])
    if kind != "changes":
        return None
    b = msg.changes
    changes = [
        Change(type=_CHANGE_TYPES.get(e.type, "UNKNOWN"), id=e.id,
               document=document_from_proto(e.document) if e.HasField("document") else None,
               revision=e.revision, previous_revision=e.previous_revision,
               previous_document=document_from_proto(e.previous_document) if e.HasField("previous_document") else None,
               previous_unavailable=e.previous_unavailable)
        for e in b.events
    ]
    commit_time = b.commit_time.ToDatetime(tzinfo=timezone.utc) if b.HasField("commit_time") else None
    return WatchBatch(revision=msg.revision, progress=False, changes=changes,
                      transaction_id=b.transaction_id, commit_time=commit_time)


class WatchStream:
    """The batches of one watch: iterate it once (a generator).

    ``last_revision`` is the revision of the last batch delivered (progress
    included): watch again after it to continue. ``resumes`` counts the
    automatic resumes. ``close()`` (from any thread, or leaving a ``with``
    block) cancels the call and ends the iteration quietly.
    """

    def __init__(self, stub: Any, request: Any, backoff: RetryPolicy,
                 on_resume: Optional[OnResume] = None, rand: Callable[[], float] = random.random) -> None:
        self._stub = stub
        self._request = request
        self._backoff = backoff
        self._on_resume = on_resume
        self._rand = rand
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._call: Any = None
        self._started = False
        self.last_revision: int = request.after_revision
        self.resumes = 0
        self._last_was_progress = False
        # True until the initial snapshot's end: only then is a revision a resume point.
        self._snapshotting = bool(request.initial_snapshot)

    def __iter__(self) -> Iterator[WatchBatch]:
        if self._started:
            raise RuntimeError("a WatchStream can be iterated only once; call watch() again")
        self._started = True
        return self._batches()

    def _is_new(self, batch: WatchBatch) -> bool:
        """Changes above ``last_revision`` are new; anything at or below it is a
        duplicate (e.g. resent after a resume). A progress mark AT it is new once:
        it says the watch caught up there (e.g. at the read's revision it started
        from), which nothing delivered has said yet."""
        if batch.revision > self.last_revision:
            return True
        return batch.progress and batch.revision == self.last_revision and not self._last_was_progress

    def _open(self) -> Any:
        req = stream_pb.WatchRequest()
        req.CopyFrom(self._request)
        req.after_revision = self.last_revision
        req.initial_snapshot = self._snapshotting
        with self._lock:
            if self._closed.is_set():
                return None
            self._call = self._stub.Watch(req)
            return self._call

    def _batches(self) -> Iterator[WatchBatch]:
        failures = 0
        while True:
            call = self._open()
            if call is None:
                return
            err: Optional[SmarterBaseError] = None
            try:
                for msg in call:
                    batch = batch_from_proto(msg)
                    if batch is None:
                        continue
                    if batch.kind == "snapshot":  # its revision is no resume point
                        yield batch
                        continue
                    if batch.kind == "snapshot_complete":
                        self._snapshotting = False
                    elif not self._is_new(batch):
                        continue
                    self.last_revision = msg.revision
                    self._last_was_progress = batch.progress
                    failures = 0
                    yield batch
            except grpc.RpcError as rpc_err:
                err = error_from_rpc_error(rpc_err)
            finally:
                call.cancel()
            if self._closed.is_set():
                return
            if err is not None and not is_watch_retryable(err):
                raise err from None
            if self._snapshotting:
                raise err or SmarterBaseError(
                    grpc.StatusCode.UNAVAILABLE, message="the watch ended before its initial snapshot was complete; watch again")
            # Retryable, or the stream ended without a status (Watch never ends by itself): resume.
            failures += 1
            # The exponent is capped: float powers overflow after ~1000 failures in a row.
            wait = self._backoff.backoff(min(failures, 64), None, self._rand)
            if err is not None and err.retry_delay is not None:
                wait = max(wait, err.retry_delay)
            if self._on_resume is not None:
                self._on_resume(failures, err, wait)
            self.resumes += 1
            if self._closed.wait(wait):
                return

    def close(self) -> None:
        """Cancels the call and stops resuming; the iteration ends without an error."""
        with self._lock:
            self._closed.set()
            if self._call is not None:
                self._call.cancel()

    def __enter__(self) -> "WatchStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class WatchMixin:
    """StreamService methods of ``Client``."""

    def _init_watch_stub(self, channel: grpc.Channel) -> None:
        self._stream_stub = stream_grpc.StreamServiceStub(channel)

    def watch(self, collection: str, *, id_prefix: str = "", ids: Iterable[str] = (), after_revision: int = 0,
              progress_interval: Optional[float] = None, backoff: Optional[RetryPolicy] = None,
              on_resume: Optional[OnResume] = None, include_previous: bool = False,
              initial_snapshot: bool = False) -> WatchStream:
        """Watches a collection's changes: ``for batch in db.watch("orders"): ...``.

        ``id_prefix`` or ``ids`` (1 to 1000) narrow it; ``after_revision`` (a batch's
        revision or a read's revision; 0: from now) says where to start;
        ``progress_interval`` (seconds, 0.1 to 60; None: the server's 10 s) how often an
        idle watch gets a progress batch. Resumes by itself after disconnects, waiting per
        ``backoff`` (its ``max_attempts`` is ignored; default ``RetryPolicy()``). No deadline:
        stop it with ``close()`` or by leaving the loop. The call starts when iteration does.
        ``include_previous`` attaches to each change the document before it;
        ``initial_snapshot`` first yields the current documents, then ``snapshot_complete``
        (``after_revision`` must be 0).
        """
        req = stream_pb.WatchRequest(collection=collection, id_prefix=id_prefix, ids=list(ids),
                                     after_revision=after_revision, include_previous=include_previous,
                                     initial_snapshot=initial_snapshot)
        if progress_interval:
            req.progress_interval.CopyFrom(seconds_to_duration(progress_interval))
        return WatchStream(self._stream_stub, req, backoff or RetryPolicy(), on_resume)
