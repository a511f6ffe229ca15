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
    info = client.upload_file(collection, "big", src, create_only=True, metadata={"k": "v"}, progress=progress.append)
    assert info.sha256 == hashlib.sha256(body).hexdigest() and info.size == len(body) and info.version == 1
    assert progress[-1] == len(body)

    with pytest.raises(SmarterBaseError) as err:
        client.upload(collection, "big", b"other", create_only=True)
    assert err.value.reason == "OBJECT_ALREADY_EXISTS"

    out = tmp_path / "out.bin"
    got = client.download_file(collection, "big", out)
    assert got.etag == info.etag and out.read_bytes() == body

    part = io.BytesIO()
    client.download(collection, "big", part, offset=9 << 20, length=1000, if_match=info.etag)
    assert part.getvalue() == body[9 << 20:(9 << 20) + 1000]

    st = client.stat_object(collection, "big")
    assert st.etag == info.etag and st.metadata == {"k": "v"}
    page = client.list_objects(collection)
    assert [o.id for o in page.objects] == ["big"] and page.next_page_token == ""

    with pytest.raises(EtagMismatchError):
        client.delete_object(collection, "big", etag="stale")
    assert client.delete_object(collection, "big", etag=info.etag) is True
    with pytest.raises(SmarterBaseError) as gone:
        client.stat_object(collection, "big")
    assert gone.value.reason == "OBJECT_NOT_FOUND"
