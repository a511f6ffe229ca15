"""Tests against a live SmarterBase server (SMARTERBASE_GRPC_ADDR or the built server)."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone
from typing import Dict, List

import grpc
import pytest

from smarterbase_client import (
    AlreadyExistsError,
    Client,
    Document,
    EtagMismatchError,
    InvalidArgumentError,
    NotFoundError,
)

DATA = {
    "name": "Zoë ✓ 日本語 🚀",
    "count": 3,
    "ratio": 0.125,
    "negative": -42,
    "active": True,
    "deleted": False,
    "missing": None,
    "tags": ["a", 1, 2.5, None, True, {"x": [1, [2, [3]]]}],
    "nested": {"level1": {"level2": {"level3": "deep", "empty": {}, "list": []}}},
}


def test_put_get_round_trip(client: Client, collection: str) -> None:
    before = datetime.now(timezone.utc)
    put = client.put(collection, "doc-1", DATA)
    assert put.collection == collection and put.id == "doc-1"
    assert put.data == DATA and put.version == 1 and put.etag
    assert put.create_time is not None and put.update_time is not None
    assert abs((put.create_time - before).total_seconds()) < 60

    got = client.get(collection, "doc-1")
    assert got == put
    assert type(got.data["count"]) is int and type(got.data["ratio"]) is float

    again = client.put(collection, "doc-1", DATA)
    assert again.version == 2 and again.etag != put.etag
    assert again.create_time == put.create_time


def test_put_if_match_stale_etag_is_etag_mismatch_with_current_etag(client: Client, collection: str) -> None:
    v1 = client.put(collection, "cas", {"n": 1})
    v2 = client.put_if_match(collection, "cas", {"n": 2}, v1.etag)
    assert v2.version == 2 and v2.data == {"n": 2}
    with pytest.raises(EtagMismatchError) as info:
        client.put_if_match(collection, "cas", {"n": 3}, v1.etag)
    err = info.value
    assert err.code == grpc.StatusCode.ABORTED and err.reason == "ETAG_MISMATCH"
    assert err.current_etag == v2.etag
    assert err.expected_etag == v1.etag
    assert client.get(collection, "cas").data == {"n": 2}


def test_put_if_match_missing_document_is_not_found(client: Client, collection: str) -> None:
    with pytest.raises(NotFoundError):
        client.put_if_match(collection, "nope", {"n": 1}, "some-etag")


def test_create_only_conflict_is_already_exists(client: Client, collection: str) -> None:
    first = client.put(collection, "once", {"v": 1}, create_only=True)
    with pytest.raises(AlreadyExistsError) as info:
        client.put(collection, "once", {"v": 2}, create_only=True)
    assert info.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert info.value.reason == "DOCUMENT_ALREADY_EXISTS"
    with pytest.raises(AlreadyExistsError):
        client.create(collection, {"v": 3}, id="once")
    assert client.get(collection, "once").etag == first.etag


def test_create_without_id_assigns_uuid_v7(client: Client, collection: str) -> None:
    a = client.create(collection, {"k": "a"})
    b = client.create(collection, {"k": "b"})
    for doc in (a, b):
        u = uuid.UUID(doc.id)
        assert u.version == 7 and str(u) == doc.id
        assert doc.version == 1
    assert a.id < b.id  # ids assigned later sort after earlier ones
    assert client.get(collection, a.id).data == {"k": "a"}


def test_list_pages_in_ascending_order(client: Client, collection: str) -> None:
    ids = [f"item-{i:03d}" for i in range(25)]
    for i in reversed(range(25)):
        client.put(collection, ids[i], {"i": i})
    client.put(collection, "other-1", {"i": -1})

    seen: List[str] = []
    pages = 0
    token = ""
    while True:
        page = client.list(collection, page_size=10, page_token=token, id_prefix="item-")
        pages += 1
        assert len(page.documents) <= 10
        for d in page.documents:
            assert d.data == {"i": int(d.id[5:])} and d.etag and d.version == 1
        seen.extend(d.id for d in page.documents)
        token = page.next_page_token
        if not token:
            break
        assert pages < 10, "listing does not terminate"
    assert seen == ids  # ascending, each exactly once, prefix respected
    assert pages >= 3

    all_docs = [d.id for d in client.list_all(collection, page_size=7)]
    assert all_docs == sorted(ids + ["other-1"])

    keys = list(client.list_all(collection, page_size=10, id_prefix="item-", keys_only=True))
    assert [d.id for d in keys] == ids
    assert all(d.collection == collection and d.data == {} and d.etag == "" for d in keys)


def test_batch_get_found_and_missing_in_request_order(client: Client, collection: str) -> None:
    client.put(collection, "b", {"x": "b"})
    client.put(collection, "a", {"x": "a"})
    requested = ["b", "zzz-missing", "a", "b", "also-missing"]
    items = list(client.batch_get(collection, requested))
    assert [i.id for i in items] == requested
    assert [i.found for i in items] == [True, False, True, True, False]
    assert items[0].document is not None and items[0].document.data == {"x": "b"}
    assert items[2].document is not None and items[2].document.data == {"x": "a"}
    assert items[1].document is None


def test_delete_is_idempotent_and_honours_etag(client: Client, collection: str) -> None:
    doc = client.put(collection, "del", {"v": 1})
    assert client.exists(collection, "del")
    assert client.exists(collection, "del").etag == doc.etag
    assert client.delete(collection, "del") is True
    assert client.delete(collection, "del") is False
    assert not client.exists(collection, "del")
    assert client.exists(collection, "del").etag == ""

    v1 = client.put(collection, "del2", {"v": 1})
    assert v1.version == 1
    client.put(collection, "del2", {"v": 2})
    with pytest.raises(EtagMismatchError):
        client.delete(collection, "del2", etag=v1.etag)
    assert client.exists(collection, "del2")


def test_get_missing_is_not_found(client: Client, collection: str) -> None:
    with pytest.raises(NotFoundError) as info:
        client.get(collection, "missing")
    err = info.value
    assert err.is_not_found and err.code == grpc.StatusCode.NOT_FOUND
    assert err.reason == "DOCUMENT_NOT_FOUND" and err.domain == "smarterbase.v1"
    assert err.metadata.get("collection") == collection and err.metadata.get("id") == "missing"


@pytest.mark.parametrize("bad_id", ["a/b", "..", "nul\x00byte"])
def test_invalid_id_is_invalid_argument(client: Client, collection: str, bad_id: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        client.put(collection, bad_id, {"v": 1})
    err = info.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and err.reason == "INVALID_ID"
    assert err.field != ""


def test_invalid_collection_is_invalid_argument(client: Client) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        client.get("bad collection!", "x")
    assert info.value.reason == "INVALID_COLLECTION"


def test_update_under_real_concurrency_loses_no_increment(server_address: str, collection: str) -> None:
    threads_n, increments = 8, 10
    with Client(server_address, timeout=10) as setup:
        setup.put(collection, "counter", {"n": 0})
    errors: List[BaseException] = []
    start = threading.Barrier(threads_n)

    def worker() -> None:
        # One client per thread: separate channels, truly concurrent requests.
        with Client(server_address, timeout=10) as c:
            start.wait()
            try:
                for _ in range(increments):
                    c.update(collection, "counter", lambda d: {**d, "n": d["n"] + 1}, max_attempts=200)
            except BaseException as e:  # noqa: BLE001 - reported by the assertion below
                errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with Client(server_address, timeout=10) as c:
        final: Document = c.get(collection, "counter")
    assert final.data == {"n": threads_n * increments}
    assert final.version == 1 + threads_n * increments


def test_update_of_missing_document_is_not_found(client: Client, collection: str) -> None:
    calls: Dict[str, int] = {"n": 0}

    def fn(d: dict) -> dict:
        calls["n"] += 1
        return d

    with pytest.raises(NotFoundError):
        client.update(collection, "ghost", fn)
    assert calls["n"] == 0

