"""ObjectService calls against a real gRPC server on loopback running a fake ObjectService."""
from __future__ import annotations

import hashlib
import io
import os
import threading
from concurrent import futures
from typing import Dict, Iterator, List, Optional

import grpc
import pytest

from smarterbase_client import Client, ObjectChecksumError
from smarterbase_client._stubs import object_pb2 as opb
from smarterbase_client._stubs import object_service_pb2 as ospb
from smarterbase_client._stubs import object_service_pb2_grpc as osgrpc
from smarterbase_client.errors import EtagMismatchError
from google.rpc import error_details_pb2

from fakes import abort


def _info(reason: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain="smarterbase.v1")


class FakeObjects(osgrpc.ObjectServiceServicer):
    """Upload keeps what it received; Download serves ``body`` in 1,000-byte messages and
    fails call n (1-based) with UNAVAILABLE once ``fail_at[n]`` data bytes were sent."""

    def __init__(self, body: bytes = b"", sha: str = "", etag: str = "v1",
                 fail_at: Optional[Dict[int, int]] = None) -> None:
        self.body, self.sha, self.etag = body, sha, etag
        self.fail_at = fail_at or {}
        self.lock = threading.Lock()
        self.uploaded = bytearray()
        self.header: Optional[opb.UploadHeader] = None
        self.messages = 0
        self.finished = False
        self.downloads: List[ospb.DownloadRequest] = []

    def Upload(self, request_iterator: Iterator[ospb.UploadRequest], context: grpc.ServicerContext) -> ospb.UploadResponse:  # noqa: N802
        for m in request_iterator:
            self.messages += 1
            if m.HasField("header"):
                self.header = m.header
            self.uploaded += m.data
            self.finished = self.finished or m.finish_write
        assert self.header is not None
        return ospb.UploadResponse(object=opb.ObjectMetadata(
            collection=self.header.collection, id=self.header.id, etag="e1", version=1,
            size_bytes=len(self.uploaded), sha256=hashlib.sha256(bytes(self.uploaded)).hexdigest()))

    def Download(self, request: ospb.DownloadRequest, context: grpc.ServicerContext) -> Iterator[ospb.DownloadResponse]:  # noqa: N802
        with self.lock:
            self.downloads.append(request)
            n = len(self.downloads)
        if request.if_match and request.if_match != self.etag:
            abort(context, grpc.StatusCode.ABORTED, "etag mismatch", [_info("ETAG_MISMATCH")])
        yield ospb.DownloadResponse(object=opb.ObjectMetadata(collection=request.collection, id=request.id, etag=self.etag,
                                                              size_bytes=len(self.body), sha256=self.sha),
                                    offset=request.offset)
        end = len(self.body) if request.length == 0 else min(len(self.body), request.offset + request.length)
        sent = 0
        for off in range(request.offset, end, 1000):
            stop = min(off + 1000, end)
            if n in self.fail_at and sent + (stop - off) > self.fail_at[n]:
                abort(context, grpc.StatusCode.UNAVAILABLE, "backend unavailable", [_info("BACKEND_UNAVAILABLE")])
            yield ospb.DownloadResponse(offset=off, data=self.body[off:stop])
            sent += stop - off


@pytest.fixture()
def serve() -> Iterator:
    started: List[grpc.Server] = []
    clients: List[Client] = []

    def start(fake: FakeObjects) -> Client:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        osgrpc.add_ObjectServiceServicer_to_server(fake, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        started.append(server)
        client = Client(f"127.0.0.1:{port}")
        clients.append(client)
        return client

    yield start
    for c in clients:
        c.close()
    for s in started:
        s.stop(grace=None)


def body_of(n: int) -> bytes:
    return bytes((i * 7 + i // 256) % 256 for i in range(n))


def test_upload_sends_header_chunks_and_finish(serve) -> None:
    fake = FakeObjects()
    client = serve(fake)
    body = body_of(2500)
    progress: List[int] = []
    info = client.upload("c", "x", io.BytesIO(body), create_only=True, content_type="text/plain",
                         chunk_size=1000, progress=progress.append)
    assert bytes(fake.uploaded) == body and fake.finished
    assert info.size == 2500 and info.sha256 == hashlib.sha256(body).hexdigest()
    assert fake.messages == 5  # header, 3 chunks, finish
    assert fake.header is not None and fake.header.precondition.HasField("exists") and not fake.header.precondition.exists
    assert progress == [1000, 2000, 2500]


def test_upload_refuses_two_preconditions(serve) -> None:
    client = serve(FakeObjects())
    with pytest.raises(ValueError):
        client.upload("c", "x", b"", create_only=True, if_match="e")


def test_download_resumes_from_the_bytes_written_pinned_to_the_etag(serve) -> None:
    body = body_of(10_000)
    fake = FakeObjects(body, hashlib.sha256(body).hexdigest(), "v7", fail_at={1: 3000, 2: 4000})
    client = serve(fake)
    out = io.BytesIO()
    info = client.download("c", "x", out)
    assert out.getvalue() == body and info.etag == "v7"
    assert [(d.offset, d.if_match) for d in fake.downloads] == [(0, ""), (3000, "v7"), (7000, "v7")]


def test_download_file_checks_the_sha256_and_leaves_no_file(serve, tmp_path) -> None:
    body = body_of(5000)
    client = serve(FakeObjects(body, "00", "v1"))
    path = tmp_path / "out.bin"
    with pytest.raises(ObjectChecksumError):
        client.download_file("c", "x", path)
    assert not path.exists() and not os.path.exists(f"{path}.part")


def test_download_range_resumes_within_its_length(serve) -> None:
    body = body_of(5000)
    fake = FakeObjects(body, "00", "v1", fail_at={1: 1500})
    client = serve(fake)
    out = io.BytesIO()
    client.download("c", "x", out, offset=1000, length=2500)
    assert out.getvalue() == body[1000:3500]
    assert (fake.downloads[1].offset, fake.downloads[1].length) == (2000, 1500)


def test_download_raises_a_non_retryable_error_at_once(serve) -> None:
    body = body_of(100)
    fake = FakeObjects(body, hashlib.sha256(body).hexdigest(), "v1")
    client = serve(fake)
    with pytest.raises(EtagMismatchError):
        client.download("c", "x", io.BytesIO(), if_match="stale")
    assert len(fake.downloads) == 1
