"""Reading a log: a ``LogReadStream`` calls LogService.ReadLog and yields its
entries one by one, in sequence order. It remembers the last sequence
delivered; after a disconnect, UNAVAILABLE or a following stream that ended
without a status, it calls ReadLog again from that sequence + 1, with capped
exponential backoff and full jitter (never shorter than the server's
RetryInfo), skipping anything at or below it: never a duplicate, never a gap.
``SequenceTrimmedError`` (the lines asked for were deleted by retention), a
gap in what the server sent (DATA_LOSS) and every other error are raised.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Optional

import grpc

from ._stubs import log_service_pb2 as log_pb
from .error_status import error_from_rpc_error
from .errors import SmarterBaseError
from .retry import RetryPolicy
from .watch import OnResume, is_watch_retryable


@dataclass(frozen=True)
class LogEntry:
    """One line of a log.

    Attributes:
        sequence: Its sequence number (dense, from 1).
        line: The JSON text, byte for byte as appended (``json.loads`` it).
        append_time: When its batch was written, by the writing server's clock.
    """

    sequence: int
    line: str
    append_time: Optional[datetime] = None


class LogReadStream:
    """The entries of one read: iterate it once (a generator).

    ``last_sequence`` is the sequence of the last entry delivered (0 before the
    first): read again from it + 1 to continue. ``tail_sequence`` is the last tail
    the server reported; ``resumes`` counts the automatic resumes. ``close()`` (from
    any thread, or leaving a ``with`` block) cancels the call and ends the iteration
    quietly.
    """

    def __init__(self, stub: Any, request: Any, backoff: RetryPolicy, max_attempts: int,
                 on_resume: Optional[OnResume] = None, rand: Callable[[], float] = random.random) -> None:
        self._stub = stub
        self._request = request
        self._backoff = backoff
        self._max_attempts = max_attempts  # 0: unlimited
        self._on_resume = on_resume
        self._rand = rand
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._call: Any = None
        self._started = False
        self._tail_seen = False
        self.last_sequence = 0
        self.tail_sequence = 0
        self.resumes = 0

    def __iter__(self) -> Iterator[LogEntry]:
        if self._started:
            raise RuntimeError("a LogReadStream can be iterated only once; call read() again")
        self._started = True
        return self._entries()

    def _next_request(self) -> Any:
        """The first call's request as asked; after an entry, from the next sequence;
        with from_end and no entry yet but a tail reported, from the line after it."""
        req = log_pb.ReadLogRequest()
        req.CopyFrom(self._request)
        if self.last_sequence > 0:
            req.from_sequence, req.from_end = self.last_sequence + 1, False
        elif self._request.from_end and self._tail_seen:
            req.from_sequence, req.from_end = self.tail_sequence + 1, False
        return req

    def _open(self) -> Any:
        with self._lock:
            if self._closed.is_set():
                return None
            self._call = self._stub.ReadLog(self._next_request())
            return self._call

    def _entries(self) -> Iterator[LogEntry]:
        failures = 0
        while True:
            call = self._open()
            if call is None:
                return
            err: Optional[SmarterBaseError] = None
            try:
                for msg in call:
                    self._tail_seen = True
                    self.tail_sequence = max(self.tail_sequence, msg.tail_sequence)
                    for e in msg.entries:
                        if self.last_sequence > 0 and e.sequence <= self.last_sequence:
                            continue
                        if self.last_sequence > 0 and e.sequence != self.last_sequence + 1:
                            raise SmarterBaseError(grpc.StatusCode.DATA_LOSS, message=(
                                f"log read: sequence {e.sequence} received after {self.last_sequence} (a gap)"))
                        self.last_sequence = e.sequence
                        failures = 0
                        at = e.append_time.ToDatetime(tzinfo=timezone.utc) if e.HasField("append_time") else None
                        yield LogEntry(e.sequence, e.line, at)
            except grpc.RpcError as rpc_err:
                err = error_from_rpc_error(rpc_err)
            finally:
                call.cancel()
            if self._closed.is_set():
                return
            if err is None and not self._request.follow:
                return
            if err is not None and not is_watch_retryable(err):
                raise err from None
            failures += 1
            if self._max_attempts and failures >= self._max_attempts:
                raise err or SmarterBaseError(grpc.StatusCode.UNAVAILABLE, message="the log read ended without a status")
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

    def __enter__(self) -> "LogReadStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
