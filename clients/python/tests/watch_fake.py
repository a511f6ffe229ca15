"""A scriptable fake StreamService behind a TCP proxy that can cut its connections."""
from __future__ import annotations

import socket
import threading
from concurrent import futures
from typing import Any, Iterator, List, Sequence, Tuple

import grpc
import pytest
from google.protobuf import struct_pb2

from smarterbase_client import Client, RetryPolicy
from smarterbase_client._stubs import document_pb2
from smarterbase_client._stubs import stream_service_pb2 as spb
from smarterbase_client._stubs import stream_service_pb2_grpc as sgrpc

from fakes import abort

#: One step of a scripted Watch call: ("msg", WatchResponse), ("error", (code, message, details)),
#: ("end", None) to end the stream, or ("drop", threading.Event) to wait for the event and then cut
#: every TCP connection, as a crashing server does.
Step = Tuple[str, Any]


def change(rev: int) -> Step:
    """A single-write change batch of document d<rev> at revision rev."""
    data = struct_pb2.Struct()
    data.update({"n": rev})
    doc = document_pb2.Document(collection="c", id=f"d{rev}", data=data, version=1)
    ev = spb.ChangeEvent(type=spb.CHANGE_TYPE_PUT, id=f"d{rev}", revision=rev, document=doc)
    return ("msg", spb.WatchResponse(revision=rev, changes=spb.ChangeBatch(events=[ev])))


def progress(rev: int) -> Step:
    """A progress message at revision rev."""
    return ("msg", spb.WatchResponse(revision=rev, progress=spb.WatchProgress()))


class DropProxy:
    """Forwards TCP connections from its own port to target_port; drop() cuts them all."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.port = self._sock.getsockname()[1]
        self._lock = threading.Lock()
        self._conns: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            backend = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self._conns += [client, backend]
            threading.Thread(target=self._pump, args=(client, backend), daemon=True).start()
            threading.Thread(target=self._pump, args=(backend, client), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self) -> None:
        """Cuts every connection made so far."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        """Stops accepting and cuts the connections."""
        self._sock.close()
        self.drop()


class ScriptedWatch(sgrpc.StreamServiceServicer):
    """Call n (0-based) plays scripts[n]; after its last step a call stays open until cancelled."""

    def __init__(self, scripts: Sequence[Sequence[Step]]) -> None:
        self._scripts = [list(s) for s in scripts]
        self._lock = threading.Lock()
        self.requests: List[spb.WatchRequest] = []
        self.cancelled = 0
        self.proxy: Any = None

    def after_revisions(self) -> List[int]:
        """The after_revision of every call received, in order."""
        with self._lock:
            return [r.after_revision for r in self.requests]

    def Watch(self, request: spb.WatchRequest, context: grpc.ServicerContext) -> Any:  # noqa: N802
        with self._lock:
            n = len(self.requests)
            self.requests.append(request)
            script = self._scripts[n] if n < len(self._scripts) else []
        ended = threading.Event()
        # The script ended the call itself (an error, an end, a dropped connection): not a cancellation.
        ended_by_script = False

        def on_end() -> None:
            # Counted here, not after the script: once the client cancels, the server stops resuming this
            # generator (a cancel right after the last message would never reach code after the loop).
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


class WatchServer:
    """A real gRPC server on 127.0.0.1:0 running ScriptedWatch, reached through a DropProxy."""

    def __init__(self, scripts: Sequence[Sequence[Step]]) -> None:
        self.servicer = ScriptedWatch(scripts)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        sgrpc.add_StreamServiceServicer_to_server(self.servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.proxy = DropProxy(port)
        self.servicer.proxy = self.proxy
        self.address = f"127.0.0.1:{self.proxy.port}"

    def stop(self) -> None:
        """Stops the proxy and the server."""
        self.proxy.close()
        self.server.stop(grace=None)


FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.005)
"""A watch backoff for tests: resumes at once."""


@pytest.fixture()
def start() -> Iterator:
    """Starts a WatchServer for scripts and a client to it; stops both after the test
    (a fixture: a test module imports it to use it)."""
    made: List = []

    def _start(*scripts: Sequence[Step]):
        srv = WatchServer(scripts)
        db = Client(srv.address, retries=RetryPolicy.disabled())
        made.append((srv, db))
        return srv, db

    yield _start
    for srv, db in made:
        db.close()
        srv.stop()
