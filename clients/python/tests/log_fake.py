"""A scriptable fake LogService on a real gRPC server (127.0.0.1:0), reached through the
DropProxy of watch_fake so that a test can cut its connections."""
from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import grpc
import pytest

from smarterbase_client import Client, RetryPolicy
from smarterbase_client._stubs import log_service_pb2 as lpb
from smarterbase_client._stubs import log_service_pb2_grpc as lgrpc

from fakes import abort, error_info
from watch_fake import DropProxy, Step

#: What Append call n does: None (behave), ("error", (code, message, details)) before storing,
#: ("store_then_error", (code, message, details)) — the client cannot know it landed — or
#: ("store_then_hang", None) until the client gives up.
AppendStep = Optional[Tuple[str, Any]]


def entries(*seqs: int, tail: int = 0) -> Step:
    """A ReadLog message with the entries of these sequences (line {"n":seq}); tail defaults to the last."""
    msg = lpb.ReadLogResponse(tail_sequence=tail or (seqs[-1] if seqs else 0))
    for s in seqs:
        e = msg.entries.add(sequence=s, line=f'{{"n":{s}}}')
        e.append_time.FromSeconds(1_700_000_000)
    return ("msg", msg)


class ScriptedLog(lgrpc.LogServiceServicer):
    """Append keeps one log in memory with the server's request-id rule (a repeated id answers
    the first attempt's sequences, deduplicated) and refuses a line containing BAD with
    INVALID_LOG_LINE; append_script[n] overrides call n. ReadLog call n plays read_scripts[n]
    (steps as in watch_fake), then stays open until cancelled; a cancellation is counted in
    the call's termination callback, not after its last message."""

    def __init__(self, append_script: Sequence[AppendStep] = (), read_scripts: Sequence[Sequence[Step]] = ()) -> None:
        self._append_script = list(append_script)
        self._read_scripts = [list(s) for s in read_scripts]
        self._lock = threading.Lock()
        self.appends: List[lpb.AppendRequest] = []
        self.lines: List[str] = []
        self._by_id: Dict[str, Tuple[int, int]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.reads: List[lpb.ReadLogRequest] = []
        self.cancelled = 0
        self.proxy: Any = None

    def _store(self, request: lpb.AppendRequest) -> lpb.AppendResponse:
        with self._lock:
            if request.request_id in self._by_id:
                first, last = self._by_id[request.request_id]
                return lpb.AppendResponse(first_sequence=first, last_sequence=last, deduplicated=True)
            first = len(self.lines) + 1
            self.lines.extend(request.lines)
            if request.request_id:
                self._by_id[request.request_id] = (first, len(self.lines))
            return lpb.AppendResponse(first_sequence=first, last_sequence=len(self.lines))

    def Append(self, request: lpb.AppendRequest, context: grpc.ServicerContext) -> Any:  # noqa: N802
        with self._lock:
            n = len(self.appends)
            self.appends.append(request)
            step = self._append_script[n] if n < len(self._append_script) else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(0.001)  # lets calls overlap, if a client sends them concurrently
            if step is not None and step[0] == "error":
                abort(context, *step[1])
            bad = [i for i, line in enumerate(request.lines) if "BAD" in line]
            if bad:
                abort(context, grpc.StatusCode.INVALID_ARGUMENT, "invalid_log_line",
                      [error_info("INVALID_LOG_LINE", {"field": f"lines[{bad[0]}]", "index": str(bad[0])})])
            res = self._store(request)
            if step is not None and step[0] == "store_then_error":
                abort(context, *step[1])
            if step is not None and step[0] == "store_then_hang":
                while context.is_active():
                    time.sleep(0.01)
            return res
        finally:
            with self._lock:
                self.in_flight -= 1

    def ReadLog(self, request: lpb.ReadLogRequest, context: grpc.ServicerContext) -> Any:  # noqa: N802
        with self._lock:
            n = len(self.reads)
            self.reads.append(request)
            script = self._read_scripts[n] if n < len(self._read_scripts) else []
        ended = threading.Event()
        ended_by_script = False

        def on_end() -> None:
            if not ended_by_script:
                with self._lock:
                    self.cancelled += 1
            ended.set()

        context.add_callback(on_end)
        for kind, value in script:
            if kind == "msg":
                yield value
            elif kind == "error":
                ended_by_script = True
                abort(context, *value)
            elif kind == "end":
                ended_by_script = True
                return
            elif kind == "drop":
                value.wait(60)
                ended_by_script = True
                self.proxy.drop()
                ended.wait(60)
                return
        ended.wait(120)  # open until the client cancels (a hang guard)

    def from_sequences(self) -> List[int]:
        """The from_sequence of every ReadLog call received, in order."""
        with self._lock:
            return [r.from_sequence for r in self.reads]


class LogServer:
    """A real gRPC server running ScriptedLog, reached through a DropProxy."""

    def __init__(self, servicer: ScriptedLog) -> None:
        self.servicer = servicer
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        lgrpc.add_LogServiceServicer_to_server(servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.proxy = DropProxy(port)
        servicer.proxy = self.proxy
        self.address = f"127.0.0.1:{self.proxy.port}"

    def stop(self) -> None:
        """Stops the proxy and the server."""
        self.proxy.close()
        self.server.stop(grace=None)


FAST = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.005)
"""Resends and resumes at once."""


@pytest.fixture()
def start_log() -> Iterator:
    """Starts a LogServer and a client to it (without its own retry unless `retries` is
    given); stops both after the test (a fixture: a test module imports it to use it)."""
    made: List = []

    def _start(append_script: Sequence[AppendStep] = (), read_scripts: Sequence[Sequence[Step]] = (),
               **client_options: Any):
        srv = LogServer(ScriptedLog(append_script, read_scripts))
        client_options.setdefault("retries", RetryPolicy.disabled())
        db = Client(srv.address, **client_options)
        made.append((srv, db))
        return srv.servicer, db

    yield _start
    for srv, db in made:
        db.close()
        srv.stop()
