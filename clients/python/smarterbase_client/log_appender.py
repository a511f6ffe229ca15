"""The batching log appender: ``add(line)`` queues a line and returns a
``concurrent.futures.Future`` of its sequence number. A worker thread sends a
batch when it holds ``max_lines`` lines or ``max_bytes`` bytes, when its oldest
line has waited ``max_delay`` seconds, or on ``flush()``/``close()``; one batch
is in flight at a time, so lines land in ``add`` order. Each batch carries a
random request id; on UNAVAILABLE, DEADLINE_EXCEEDED or a lost connection the
same batch is resent with the same id (the server answers a repeat with the
first attempt's sequences: exactly once), with the retry policy's backoff. Any
other error, or running out of attempts, fails that batch's futures only;
later batches go on.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

import grpc

from ._stubs import log_service_pb2 as log_pb
from .error_status import error_from_rpc_error
from .errors import SmarterBaseError
from .retry import RetryPolicy

#: Called before each resend with (the retry number, 1 = first; the error; the wait in seconds).
OnRetry = Callable[[int, SmarterBaseError, float], None]

_LOST_CONNECTION_CODES = (grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)


def to_log_line(line: Any) -> str:
    """The JSON text sent for ``line`` (see logs.py): ``str`` as is, ``bytes`` decoded as
    UTF-8, anything else through ``json.dumps`` (compact, no NaN); raises ``TypeError``
    or ``ValueError`` for what JSON cannot hold."""
    if isinstance(line, str):
        return line
    if isinstance(line, (bytes, bytearray)):
        return bytes(line).decode("utf-8")
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class AppenderClosedError(RuntimeError):
    """A line was added to a closed ``LogAppender``."""


def is_append_retryable(err: SmarterBaseError) -> bool:
    """True when a batch is resent (with its request id) after ``err``: UNAVAILABLE,
    DEADLINE_EXCEEDED (the attempt may have landed), or a connection lost mid-call
    (INTERNAL, CANCELLED or UNKNOWN without an ErrorInfo reason)."""
    if err.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return True
    return err.code in _LOST_CONNECTION_CODES and not err.reason


@dataclass
class _Pending:
    line: str
    size: int
    added_at: float
    future: "Future[int]" = field(default_factory=Future)


class LogAppender:
    """A batching appender of one log (``Client.logs.appender``); thread-safe. See the
    module docstring. ``calls`` counts the Append calls made (resends included) and
    ``failed_lines`` the lines whose batch failed."""

    def __init__(self, stub: Any, log: str, *, client_timeout: Optional[float], retries: RetryPolicy,
                 max_lines: int = 500, max_bytes: int = 1 << 20, max_delay: float = 0.01,
                 on_retry: Optional[OnRetry] = None) -> None:
        if not 1 <= max_lines <= 1000:
            raise ValueError("max_lines must be 1 to 1000")
        if max_bytes < 1 or max_delay < 0:
            raise ValueError("max_bytes must be >= 1 and max_delay >= 0")
        self._stub, self._log, self._timeout, self._retries = stub, log, client_timeout, retries
        self._max_lines, self._max_bytes, self._max_delay = max_lines, max_bytes, max_delay
        self._on_retry = on_retry
        self._cond = threading.Condition()
        self._pending: List[_Pending] = []
        self._bytes = 0
        self._added = 0
        self._sent = 0
        self._flush_to = 0
        self._closed = False
        self._error: Optional[SmarterBaseError] = None
        self.calls = 0
        self.failed_lines = 0
        self._worker = threading.Thread(target=self._run, name=f"smarterbase-appender-{log}", daemon=True)
        self._worker.start()

    def add(self, line: Any) -> "Future[int]":
        """Queues a line (see logs.py for what a line may be); returns a future of its
        sequence number. A failure sets the future's exception (a ``SmarterBaseError``)
        and is also raised by the next ``flush()``/``close()``. Raises
        ``AppenderClosedError`` after ``close()``."""
        text = to_log_line(line)
        p = _Pending(text, len(text.encode("utf-8")), time.monotonic())
        with self._cond:
            if self._closed:
                raise AppenderClosedError("the log appender is closed")
            self._pending.append(p)
            self._bytes += p.size
            self._added += 1
            self._cond.notify_all()
        return p.future

    def flush(self, timeout: Optional[float] = None) -> None:
        """Sends every line added so far and waits for them (at most ``timeout`` seconds:
        then ``TimeoutError``); raises the first batch failure since the last flush."""
        with self._cond:
            target = self._added
            self._flush_to = max(self._flush_to, target)
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: self._sent >= target, timeout):
                raise TimeoutError("the log appender's lines were not all appended in time")
            err, self._error = self._error, None
        if err is not None:
            raise err

    def close(self, timeout: Optional[float] = None) -> None:
        """Flushes, then refuses further lines and stops the worker thread. Idempotent."""
        with self._cond:
            self._closed = True
        try:
            self.flush(timeout)
        finally:
            with self._cond:
                self._cond.notify_all()

    def __enter__(self) -> "LogAppender":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                batch = self._next_batch()
                if batch is None:
                    return
            err = self._send(batch)
            with self._cond:
                self._sent += len(batch)
                if err is not None:
                    self.failed_lines += len(batch)
                    if self._error is None:
                        self._error = err
                self._cond.notify_all()

    def _next_batch(self) -> Optional[List[_Pending]]:
        """Waits (holding the condition) until a batch is due and takes it; None once
        closed with nothing left."""
        while True:
            if not self._pending:
                if self._closed:
                    return None
                self._cond.wait()
                continue
            waited = time.monotonic() - self._pending[0].added_at
            full = len(self._pending) >= self._max_lines or self._bytes >= self._max_bytes
            if full or self._sent < self._flush_to or waited >= self._max_delay:
                return self._take()
            self._cond.wait(self._max_delay - waited)

    def _take(self) -> List[_Pending]:
        n, size = 0, 0
        while (n < len(self._pending) and n < self._max_lines
               and (n == 0 or size + self._pending[n].size <= self._max_bytes)):
            size += self._pending[n].size
            n += 1
        batch, self._pending = self._pending[:n], self._pending[n:]
        self._bytes -= size
        return batch

    def _send(self, batch: List[_Pending]) -> Optional[SmarterBaseError]:
        """Appends one batch, resending it with the same request id on a retryable error;
        settles its futures and returns its error (None when appended)."""
        req = log_pb.AppendRequest(log=self._log, lines=[p.line for p in batch], request_id=str(uuid.uuid4()))
        retry = 1
        while True:
            self.calls += 1
            try:
                res = self._stub.Append(req, timeout=self._timeout)
            except grpc.RpcError as rpc_err:
                err = error_from_rpc_error(rpc_err)
                if retry >= self._retries.max_attempts or not is_append_retryable(err):
                    for p in batch:
                        p.future.set_exception(err)
                    return err
                wait = self._retries.backoff(min(retry, 64), err.retry_delay)
                if self._on_retry is not None:
                    self._on_retry(retry, err, wait)
                time.sleep(wait)
                retry += 1
                continue
            for i, p in enumerate(batch):
                p.future.set_result(res.first_sequence + i)
            return None
