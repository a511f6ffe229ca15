"""Objects against the live server (S3 + Redis in CI): a 20 MiB object (a multipart upload above the
8 MiB part size) round trips with its SHA-256, create-only refuses a second upload, stat, list and
delete follow the etag."""
from __future__ import annotations

import hashlib
import io

import pytest

from smarterbase_client import Client, EtagMismatchError, SmarterBaseError


def test_object_round_trip_create_only_and_conditional_delete(client: Client, collection: str, tmp_path) -> None:
    body = bytes((i * 31 + (i >> 12)) % 256 for i in range(20 << 20))
    src = tmp_path / "in.bin"
    src.write_bytes(body)
    progress = []
    info = client.objects.upload_file(collection, "big", src, create_only=True, metadata={"k": "v"}, progress=progress.append)
    assert info.sha256 == hashlib.sha256(body).hexdigest() and info.size == len(body) and info.version == 1
    assert progress[-1] == len(body)

    with pytest.raises(SmarterBaseError) as err:
        client.objects.upload(collection, "big", b"other", create_only=True)
    assert err.value.reason == "OBJECT_ALREADY_EXISTS"

    out = tmp_path / "out.bin"
    got = client.objects.download_file(collection, "big", out)
    assert got.etag == info.etag and out.read_bytes() == body

    part = io.BytesIO()
    client.objects.download(collection, "big", part, offset=9 << 20, length=1000, if_match=info.etag)
    assert part.getvalue() == body[9 << 20:(9 << 20) + 1000]

    st = client.objects.stat(collection, "big")
    assert st.etag == info.etag and st.metadata == {"k": "v"}
    page = client.objects.list(collection)
    assert [o.id for o in page.objects] == ["big"] and page.next_page_token == ""

    with pytest.raises(EtagMismatchError):
        client.objects.delete(collection, "big", etag="stale")
    assert client.objects.delete(collection, "big", etag=info.etag) is True
    with pytest.raises(SmarterBaseError) as gone:
        client.objects.stat(collection, "big")
    assert gone.value.reason == "OBJECT_NOT_FOUND"


class _DiesAt(io.BytesIO):
    """A file whose reads fail from ``fail_at`` on (the uploading process dying), until ``fail_at`` is 0."""

    def __init__(self, data: bytes, fail_at: int) -> None:
        super().__init__(data)
        self.fail_at = fail_at

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self.fail_at and self.tell() + max(size, 0) > self.fail_at:
            raise OSError("the uploading process died")
        return super().read(size)


def test_resumable_upload_continues_by_id_and_abort(client: Client, collection: str) -> None:
    """20 MiB stop at 12 MiB (the source fails); continued by its id the object is exact, with one StartUpload."""
    body = bytes((i * 13 + (i >> 10)) % 256 for i in range(20 << 20))
    src = _DiesAt(body, 12 << 20)
    ids = []
    with pytest.raises(OSError):
        client.objects.upload_resumable(collection, "resumed", src, create_only=True, max_resumes=-1,
                                        on_upload_id=ids.append)
    st = client.objects.upload_status(ids[0])
    assert st.committed <= 12 << 20 and st.object is None

    src.fail_at = 0
    progress = []
    info = client.objects.upload_resumable(collection, "resumed", src, upload_id=ids[0], progress=progress.append)
    assert info.sha256 == hashlib.sha256(body).hexdigest() and info.size == len(body) and info.version == 1
    assert progress[-1].committed == len(body)
    out = io.BytesIO()
    client.objects.download(collection, "resumed", out)
    assert out.getvalue() == body

    aborted = []
    with pytest.raises(OSError):
        client.objects.upload_resumable(collection, "aborted", _DiesAt(body, 1 << 20), max_resumes=-1,
                                        on_upload_id=aborted.append)
    client.objects.abort_upload(aborted[0])
    with pytest.raises(SmarterBaseError) as gone:
        client.objects.upload_status(aborted[0])
    assert gone.value.reason == "UPLOAD_NOT_FOUND"
    with pytest.raises(SmarterBaseError) as missing:
        client.objects.stat(collection, "aborted")
    assert missing.value.reason == "OBJECT_NOT_FOUND"


class _CutsAt(io.BytesIO):
    """A file that cuts the proxy's connections when a read passes each offset of ``cuts``."""

    def __init__(self, data: bytes, proxy: "Proxy", cuts: list) -> None:
        super().__init__(data)
        self.proxy, self.cuts = proxy, cuts

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self.cuts and self.tell() >= self.cuts[0]:
            self.cuts.pop(0)
            self.proxy.cut()
        return super().read(size)


def test_resumable_upload_survives_cut_connections(client: Client, server_address: str, collection: str) -> None:
    """24 MiB through a TCP proxy cut at 30, 60 and 90 %: the upload resumes by itself to the exact bytes."""
    from upload_fake import Proxy

    host, port = server_address.rsplit(":", 1)
    proxy = Proxy(int(port), host)
    body = bytes((i * 29 + (i >> 9)) % 256 for i in range(24 << 20))
    n = len(body)
    src = _CutsAt(body, proxy, [n * 3 // 10, n * 6 // 10, n * 9 // 10])
    try:
        with Client(f"127.0.0.1:{proxy.port}", timeout=30.0) as via_proxy:
            info = via_proxy.objects.upload_resumable(collection, "cut", src)
    finally:
        proxy.close()
    assert src.cuts == [] and info.size == n and info.sha256 == hashlib.sha256(body).hexdigest()
    out = io.BytesIO()
    client.objects.download(collection, "cut", out)
    assert out.getvalue() == body
