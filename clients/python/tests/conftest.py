"""Shared fixtures: the live server (per the client fixture rule) and an
in-process fake gRPC server for tests that need crafted statuses."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from concurrent import futures
from typing import Callable, Iterator, List, Optional

import grpc
import pytest

CLIENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(CLIENT_DIR))
if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)

from smarterbase_client import Client  # noqa: E402
from smarterbase_client._stubs import document_service_pb2_grpc  # noqa: E402

SERVER_MAIN = os.path.join(REPO_ROOT, "dist", "server", "src", "main.js")
STARTUP_TIMEOUT_S = 30.0


class SpawnedServer:
    """The built server started as a child process (memory storage, ports
    chosen by the OS, ``env`` added to its environment, e.g. SB_FAILPOINTS);
    reads its listening line."""

    def __init__(self, env: Optional[dict] = None) -> None:
        self.proc = subprocess.Popen(
            ["node", SERVER_MAIN, "--storage", "memory", "--grpc-port", "0", "--http-port", "0", "--metrics-port", "0"],
            cwd=REPO_ROOT, env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.output: List[str] = []
        self.grpc_port: Optional[int] = None
        self._ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if self.grpc_port is None:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("msg") == "listening":
                    self.grpc_port = int(entry["grpcPort"])
                    self._ready.set()
        self._ready.set()  # process ended

    def wait_listening(self) -> int:
        if not self._ready.wait(STARTUP_TIMEOUT_S) or self.grpc_port is None:
            self.stop()
            raise RuntimeError("server did not print its listening line; output:\n"
                               + "".join(self.output[-50:]))
        return self.grpc_port

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="session")
def server_address() -> Iterator[str]:
    """host:port of a live server: $SMARTERBASE_GRPC_ADDR, or a spawned built server."""
    env_addr = os.environ.get("SMARTERBASE_GRPC_ADDR")
    if env_addr:
        yield env_addr
        return
    if not os.path.isfile(SERVER_MAIN):
        pytest.fail(f"{SERVER_MAIN} is missing: run npm run build (or set SMARTERBASE_GRPC_ADDR)")
    server = SpawnedServer()
    try:
        try:
            port = server.wait_listening()
        except RuntimeError as err:
            pytest.fail(str(err))
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def client(server_address: str) -> Iterator[Client]:
    """A client of the live server, with a 10 s default deadline."""
    with Client(server_address, timeout=10.0) as c:
        yield c


@pytest.fixture()
def collection() -> str:
    """A collection name unique to this test (tests never share state)."""
    return f"py-{uuid.uuid4().hex[:12]}"


class FakeServer:
    """An in-process gRPC server running a given DocumentService servicer."""

    def __init__(self, servicer: document_service_pb2_grpc.DocumentServiceServicer) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        document_service_pb2_grpc.add_DocumentServiceServicer_to_server(servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=None)


FakeServerFactory = Callable[[document_service_pb2_grpc.DocumentServiceServicer], FakeServer]


@pytest.fixture()
def fake_server_factory() -> Iterator[FakeServerFactory]:
    """Starts FakeServers for a servicer; stops them after the test."""
    started: List[FakeServer] = []

    def start(servicer: document_service_pb2_grpc.DocumentServiceServicer) -> FakeServer:
        s = FakeServer(servicer)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def embedded_client(env: dict) -> Iterator[Client]:
    """Starts an embedded-default server (in-process coordination, `env` added), yields a client of it,
    stops it: the body of a module-scoped live fixture."""
    if not os.path.isfile(SERVER_MAIN):
        pytest.fail(f"{SERVER_MAIN} is missing: run npm run build")
    server = SpawnedServer(dict(SB_COORDINATION="local", **env))
    try:
        try:
            port = server.wait_listening()
        except RuntimeError as err:
            pytest.fail(str(err))
        with Client(f"127.0.0.1:{port}", timeout=10.0) as c:
            yield c
    finally:
        server.stop()
