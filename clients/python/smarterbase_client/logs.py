"""Logs: the LogService calls of ``Client``, reached as ``db.logs``: ``append``
(one call), ``appender`` (batching, exactly-once resends; log_appender.py) and
``read`` (a generator that resumes by itself; log_reader.py).

A line is either a JSON text, given as ``str`` (or UTF-8 ``bytes``) and sent
byte for byte (so ``'{"a":1}'`` appends that object and ``'"hi"'`` the JSON
string "hi"), or any other JSON value (dict, list, int, float, bool, None),
encoded with ``json.dumps`` (compact, no NaN). To append a string value, pass
``json.dumps(value)``. The server refuses a line that is not one JSON text or
holds a raw line break (``InvalidArgumentError``, reason INVALID_LOG_LINE,
``field`` = ``lines[i]``), and then appends no line of that request.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional

import grpc

from ._stubs import log_service_pb2 as log_pb
from ._stubs import log_service_pb2_grpc as log_grpc
from .locks import seconds_to_duration
from .log_appender import LogAppender, OnRetry, to_log_line
from .log_reader import LogReadStream
from .retry import RetryPolicy
from .watch import OnResume

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client


@dataclass(frozen=True)
class AppendResult:
    """Answer of ``Logs.append``.

    Attributes:
        first_sequence: The sequence number of the first line; the others follow, consecutive.
        last_sequence: The sequence number of the last line.
        deduplicated: True when ``request_id`` matched an earlier append: nothing new was
            written, these are that append's sequences.
        request_id: The request id sent (to retry the append exactly once yourself).
    """

    first_sequence: int
    last_sequence: int
    deduplicated: bool
    request_id: str


class Logs:
    """The log calls of a ``Client`` (``db.logs``)."""

    def __init__(self, client: "Client", channel: grpc.Channel) -> None:
        self._client = client
        #: The generated LogService stub (errors are not converted, no retry).
        self.stub = log_grpc.LogServiceStub(channel)

    def append(self, log: str, lines: Iterable[Any], *, request_id: Optional[str] = None,
               timeout: Optional[float] = None) -> AppendResult:
        """Appends 1 to 1000 lines to ``log``, in order, as one request: they get
        consecutive sequence numbers, or none is appended. A random request id is sent
        unless ``request_id`` is given, so the automatic UNAVAILABLE retry never appends
        twice (a repeat within 10 minutes answers the first attempt's sequences)."""
        rid = request_id if request_id is not None else str(uuid.uuid4())
        req = log_pb.AppendRequest(log=log, lines=[to_log_line(x) for x in lines], request_id=rid)
        res = self._client._call(self.stub.Append, req, timeout)
        return AppendResult(res.first_sequence, res.last_sequence, res.deduplicated, rid)

    def appender(self, log: str, *, max_lines: int = 500, max_bytes: int = 1 << 20, max_delay: float = 0.01,
                 retries: Optional[RetryPolicy] = None, on_retry: Optional[OnRetry] = None) -> LogAppender:
        """A batching appender of ``log``: ``appender.add(line)`` returns a
        ``concurrent.futures.Future`` of the line's sequence number. Lines are sent in
        batches of at most ``max_lines`` lines and ``max_bytes`` bytes, a line waiting at
        most ``max_delay`` seconds; one batch is in flight, so lines land in ``add`` order.
        A batch is resent with its request id (exactly once) on UNAVAILABLE,
        DEADLINE_EXCEEDED or a lost connection, per ``retries`` (default: the client's
        policy); each attempt has the client's ``timeout``. Use it as a context manager,
        or call ``close()``."""
        return LogAppender(self.stub, log, client_timeout=self._client.timeout,
                           retries=retries if retries is not None else self._client.retries,
                           max_lines=max_lines, max_bytes=max_bytes, max_delay=max_delay, on_retry=on_retry)

    def read(self, log: str, *, from_sequence: int = 0, from_end: bool = False, follow: bool = False,
             progress_interval: Optional[float] = None, backoff: Optional[RetryPolicy] = None,
             max_attempts: Optional[int] = None, on_resume: Optional[OnResume] = None) -> LogReadStream:
        """Reads ``log`` in sequence order: ``for entry in db.logs.read("audit", follow=True): ...``.

        ``from_sequence`` (0: the oldest retained) or ``from_end`` (only lines appended
        after the call starts) say where to start; ``follow`` keeps reading new lines
        (like ``tail -f``); ``progress_interval`` (seconds, 0.1 to 60; None: the server's
        10 s) how often an idle follower gets a progress message (``tail_sequence``).
        Resumes by itself from the last sequence received + 1 after a disconnect, waiting
        per ``backoff`` (default ``RetryPolicy()``); ``max_attempts`` consecutive failed
        calls end it (default: unlimited with ``follow``, else ``backoff.max_attempts``).
        ``SequenceTrimmedError`` (and any other error) is raised. No deadline: stop it
        with ``close()`` or by leaving the loop. The call starts when iteration does."""
        req = log_pb.ReadLogRequest(log=log, from_sequence=from_sequence, from_end=from_end, follow=follow)
        if progress_interval:
            req.progress_interval.CopyFrom(seconds_to_duration(progress_interval))
        policy = backoff or RetryPolicy()
        if max_attempts is None:
            max_attempts = 0 if follow else policy.max_attempts
        return LogReadStream(self.stub, req, policy, max_attempts, on_resume)
