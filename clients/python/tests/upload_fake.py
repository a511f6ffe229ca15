"""A fake ObjectService keeping resumable uploads in memory, and a TCP proxy whose connections a test can cut.

The fake applies the server's offset rules (ADR 0013 §3): a write starts at most at the committed size
(above: UPLOAD_OFFSET_MISMATCH), bytes below it are skipped, data after completion is UPLOAD_FINISHED, an
unknown id UPLOAD_NOT_FOUND. WriteUpload call n (0-based) plays ``script[n]``: ``("busy", seconds)`` fails it
at once with UPLOAD_BUSY and RetryInfo; ``("fail", after, lose)`` keeps the first ``after`` bytes received
minus ``lose`` (never made durable) and fails with UNAVAILABLE; ``("drop", after, lose)`` does the same but
cuts every proxied connection instead of answering.
"""
from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from smarterbase_client._stubs import object_pb2 as opb
from smarterbase_client._stubs import object_service_pb2 as ospb
from smarterbase_client._stubs import object_service_pb2_grpc as osgrpc

from fakes import abort


def info(reason: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain="smarterbase.v1")


@dataclass
class FakeUpload:
    header: opb.UploadHeader
    data: bytearray = field(default_factory=bytearray)
    complete: bool = False


class Proxy:
    """Forwards 127.0.0.1:port to a backend (host, port); ``cut`` closes every open connection."""

    def __init__(self, backend: int, host: str = "127.0.0.1") -> None:
        self.backend = backend
        self.host = host
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.socks: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((self.host, self.backend))
            with self.lock:
                self.socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

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

    def cut(self) -> None:
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()


class FakeResumable(osgrpc.ObjectServiceServicer):
    """See the module docstring."""

    def __init__(self, script: Optional[List[Tuple[Any, ...]]] = None) -> None:
        self.script = list(script or [])
        self.lock = threading.Lock()
        self.uploads: Dict[str, FakeUpload] = {}
        self.offsets: List[int] = []
        self.started = 0
        self.queries = 0
        self.proxy: Optional[Proxy] = None

    def _session(self, upload_id: str, context: grpc.ServicerContext) -> FakeUpload:
        u = self.uploads.get(upload_id)
        if u is None:
            abort(context, grpc.StatusCode.NOT_FOUND, "no such upload", [info("UPLOAD_NOT_FOUND")])
        assert u is not None
        return u

    @staticmethod
    def _meta(u: FakeUpload) -> Optional[opb.ObjectMetadata]:
        if not u.complete:
            return None
        return opb.ObjectMetadata(collection=u.header.collection, id=u.header.id, etag="e1", version=1,
                                  size_bytes=len(u.data), sha256=hashlib.sha256(bytes(u.data)).hexdigest())

    def StartUpload(self, request: ospb.StartUploadRequest, context: grpc.ServicerContext) -> ospb.StartUploadResponse:  # noqa: N802
        with self.lock:
            self.started += 1
            upload_id = f"u{self.started}"
            self.uploads[upload_id] = FakeUpload(header=request.header)
        return ospb.StartUploadResponse(upload_id=upload_id, part_size_bytes=8 << 20)

    def WriteUpload(self, request_iterator: Iterator[ospb.WriteUploadRequest], context: grpc.ServicerContext) -> ospb.WriteUploadResponse:  # noqa: N802
        u: Optional[FakeUpload] = None
        step: Tuple[Any, ...] = ()
        at = received = 0
        for m in request_iterator:
            with self.lock:
                if u is None:
                    u = self._session(m.upload_id, context)
                    at = m.write_offset
                    step = self.script[len(self.offsets)] if len(self.offsets) < len(self.script) else ()
                    self.offsets.append(at)
                    if step and step[0] == "busy":
                        retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=int(step[1] * 1e9)))
                        abort(context, grpc.StatusCode.ABORTED, "busy", [info("UPLOAD_BUSY"), retry])
                if u.complete:
                    abort(context, grpc.StatusCode.FAILED_PRECONDITION, "finished", [info("UPLOAD_FINISHED")])
                if at > len(u.data):
                    abort(context, grpc.StatusCode.FAILED_PRECONDITION, "offset", [info("UPLOAD_OFFSET_MISMATCH")])
                skip = len(u.data) - at
                if skip < len(m.data):
                    u.data += m.data[skip:]
                at += len(m.data)
                received += len(m.data)
                failing = bool(step) and step[0] in ("fail", "drop") and received >= step[1]
                if failing:
                    del u.data[max(0, len(u.data) - step[2]):]
                elif m.finish_write:
                    u.complete = True
            if failing:
                if step[0] == "drop" and self.proxy is not None:
                    self.proxy.cut()
                abort(context, grpc.StatusCode.UNAVAILABLE, "backend unavailable", [info("BACKEND_UNAVAILABLE")])
        assert u is not None
        with self.lock:
            return ospb.WriteUploadResponse(committed_size=len(u.data), complete=u.complete, object=self._meta(u))

    def QueryUploadStatus(self, request: ospb.QueryUploadStatusRequest, context: grpc.ServicerContext) -> ospb.QueryUploadStatusResponse:  # noqa: N802
        with self.lock:
            self.queries += 1
            u = self._session(request.upload_id, context)
            return ospb.QueryUploadStatusResponse(committed_size=len(u.data), complete=u.complete, object=self._meta(u))

    def AbortUpload(self, request: ospb.AbortUploadRequest, context: grpc.ServicerContext) -> ospb.AbortUploadResponse:  # noqa: N802
        with self.lock:
            self._session(request.upload_id, context)
            del self.uploads[request.upload_id]
        return ospb.AbortUploadResponse()
