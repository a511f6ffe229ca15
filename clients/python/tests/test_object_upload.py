"""Resumable uploads against a real gRPC server on loopback (behind a cuttable TCP proxy) running a fake
ObjectService with the server's offset rules (upload_fake.py)."""
from __future__ import annotations

import hashlib
import io
from concurrent import futures
from typing import Any, Iterator, List, Tuple

import grpc
import pytest

from smarterbase_client import Client, RetryPolicy, UploadProgress
from smarterbase_client._stubs import object_service_pb2_grpc as osgrpc
from smarterbase_client.errors import SmarterBaseError

from upload_fake import FakeResumable, Proxy


def body_of(n: int) -> bytes:
    return bytes((i * 7 + i // 256) % 256 for i in range(n))


@pytest.fixture()
def serve() -> Iterator:
    cleanup: List[Any] = []

    def start(script: List[Tuple[Any, ...]] = ()) -> Tuple[Client, FakeResumable, List[float]]:
        fake = FakeResumable(list(script))
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        osgrpc.add_ObjectServiceServicer_to_server(fake, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        fake.proxy = Proxy(port)
        client = Client(f"127.0.0.1:{fake.proxy.port}", timeout=30,
                        retries=RetryPolicy(max_attempts=1, initial_backoff=0.001, max_backoff=1.0))
        sleeps: List[float] = []
        client._sleep = sleeps.append  # records the waits instead of sleeping
        cleanup.extend([client, fake.proxy, server])
        return client, fake, sleeps

    yield start
    for c in cleanup:
        if isinstance(c, grpc.Server):
            c.stop(grace=None)
        else:
            c.close()


def monotone(ps: List[UploadProgress]) -> None:
    for a, b in zip(ps, ps[1:]):
        assert b.committed >= a.committed and b.sent >= a.sent, (a, b)


def test_streams_with_header_reports_the_id_and_progress(serve) -> None:
    client, fake, _ = serve()
    body = body_of(5000)
    ids: List[str] = []
    ps: List[UploadProgress] = []
    obj = client.objects.upload_resumable("c", "x", body, create_only=True, content_type="text/plain",
                                          chunk_size=1000, on_upload_id=ids.append, progress=ps.append)
    assert ids == ["u1"] and fake.offsets == [0]
    assert obj.size == 5000 and obj.sha256 == hashlib.sha256(body).hexdigest()
    h = fake.uploads["u1"].header
    assert h.expected_size == 5000 and h.content_type == "text/plain" and h.precondition.HasField("exists")
    monotone(ps)
    assert ps[-1] == UploadProgress(committed=5000, sent=5000, total=5000)


def test_resumes_after_unavailable_a_dropped_connection_and_busy(serve) -> None:
    client, fake, sleeps = serve([("fail", 3000, 0), ("drop", 4000, 0), ("busy", 0.25)])
    body = body_of(20_000)
    ps: List[UploadProgress] = []
    client.objects.upload_resumable("c", "x", io.BytesIO(body), chunk_size=1000, progress=ps.append)
    assert bytes(fake.uploads["u1"].data) == body
    assert fake.offsets == [0, 3000, 7000, 7000]
    assert fake.started == 1 and fake.queries == 3
    assert 0.25 in sleeps  # the RetryInfo delay of UPLOAD_BUSY (a query may also fail after the cut, adding a wait)
    monotone(ps)


def test_resends_from_a_committed_size_below_what_it_sent(serve) -> None:
    client, fake, _ = serve([("fail", 6000, 2500)])
    body = body_of(10_000)
    client.objects.upload_resumable("c", "x", body, chunk_size=1000)
    assert fake.offsets == [0, 3500] and bytes(fake.uploads["u1"].data) == body


def test_bounds_fruitless_resumes_and_does_not_resume_other_errors(serve) -> None:
    client, fake, sleeps = serve([("fail", 1, 1000)] * 10)
    with pytest.raises(SmarterBaseError) as e:
        client.objects.upload_resumable("c", "x", body_of(100), max_resumes=3)
    assert e.value.code == grpc.StatusCode.UNAVAILABLE
    assert fake.offsets == [0, 0, 0, 0] and len(sleeps) == 3
    with pytest.raises(SmarterBaseError) as e:
        client.objects.upload_resumable("c", "x", body_of(100), upload_id="nope")
    assert e.value.reason == "UPLOAD_NOT_FOUND" and len(fake.offsets) == 4


def test_continues_by_id_from_a_file_and_aborts(serve, tmp_path) -> None:
    client, fake, _ = serve([("drop", 4000, 0), (), ("fail", 1, 100_000)])
    body = body_of(12_345)
    path = tmp_path / "src.bin"
    path.write_bytes(body)
    saved: List[str] = []
    with pytest.raises(SmarterBaseError):
        client.objects.upload_resumable("c", "x", str(path), chunk_size=1000, max_resumes=-1, on_upload_id=saved.append)
    obj = client.objects.upload_resumable("c", "x", path, upload_id=saved[0], chunk_size=1000)
    assert obj.size == 12_345 and fake.started == 1 and fake.offsets == [0, 4000]
    assert bytes(fake.uploads["u1"].data) == body
    # continuing a completed upload answers its object without writing
    assert client.objects.upload_resumable("c", "x", path, upload_id=saved[0]).etag == "e1"
    assert len(fake.offsets) == 2
    other: List[str] = []
    with pytest.raises(SmarterBaseError):
        client.objects.upload_resumable("c", "y", body, max_resumes=-1, on_upload_id=other.append)
    st = client.objects.upload_status(other[0])
    assert st.committed == 0 and st.object is None
    client.objects.abort_upload(other[0])
    with pytest.raises(SmarterBaseError) as e:
        client.objects.abort_upload(other[0])
    assert e.value.reason == "UPLOAD_NOT_FOUND"


class _Failing(io.BytesIO):
    """A file whose reads fail from ``fail_at`` on (the uploading process dying)."""

    def __init__(self, data: bytes, fail_at: int) -> None:
        super().__init__(data)
        self.fail_at = fail_at

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self.tell() + max(size, 0) > self.fail_at:
            raise OSError("the source failed")
        return super().read(size)


def test_a_failing_source_raises_its_own_error_without_resuming(serve) -> None:
    client, fake, sleeps = serve()
    with pytest.raises(OSError, match="the source failed"):
        client.objects.upload_resumable("c", "x", _Failing(body_of(5000), 2500), chunk_size=1000)
    assert sleeps == [] and len(fake.offsets) <= 1
