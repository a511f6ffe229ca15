"""Batch calls against a live SmarterBase server (SMARTERBASE_GRPC_ADDR or the built server).
They need BatchWrite / BatchExists / BatchDelete: against a server without them they fail
(UNIMPLEMENTED), never skip."""
from __future__ import annotations

import grpc

from smarterbase_client import AlreadyExistsError, BatchExistsItem, Client, EtagMismatchError, batch


def test_batch_write_per_item_results_in_order(client: Client, collection: str) -> None:
    client.put(collection, "taken", {"v": "original"})
    cas1 = client.put(collection, "cas", {"v": 1})
    client.put(collection, "cas", {"v": 2})  # cas1.etag is now stale
    res = client.batch_write(collection, [
        batch.put("p1", {"n": 1}),
        batch.put("p2", {"n": 2}),
        batch.put("taken", {"v": "overwritten?"}, create_only=True),
        batch.put("p3", {"n": 3}),
        batch.put("cas", {"v": "stale write"}, etag=cas1.etag),
        batch.put("p4", {"n": 4}),
        batch.put("p5", {"n": 5}),
    ])
    assert [r.id for r in res] == ["p1", "p2", "taken", "p3", "cas", "p4", "p5"]
    assert [r.ok for r in res] == [True, True, False, True, False, True, True]

    conflict = res[2].error
    assert isinstance(conflict, AlreadyExistsError)
    assert (conflict.code, conflict.reason) == (grpc.StatusCode.ALREADY_EXISTS, "DOCUMENT_ALREADY_EXISTS")
    stale = res[4].error
    assert isinstance(stale, EtagMismatchError)
    assert (stale.code, stale.reason) == (grpc.StatusCode.ABORTED, "ETAG_MISMATCH")
    current = client.get(collection, "cas")
    assert stale.current_etag == current.etag
    assert current.data == {"v": 2}
    assert client.get(collection, "taken").data == {"v": "original"}

    for r in res:
        if not r.ok:
            continue
        assert r.document is not None and r.document.id == r.id and r.document.version == 1 and r.document.etag
        stored = client.get(collection, r.id)
        assert stored.data == {"n": int(r.id[1:])}
        assert stored.etag == r.document.etag


def test_batch_write_mixes_deletes(client: Client, collection: str) -> None:
    client.put(collection, "gone", {"v": 1})
    res = client.batch_write(collection, [batch.delete("gone"), batch.put("new", {"v": 2}),
                                          batch.delete("never-existed")])
    assert [(r.id, r.ok, r.deleted) for r in res] == [
        ("gone", True, True), ("new", True, False), ("never-existed", True, False)]
    assert not client.exists(collection, "gone")
    assert client.get(collection, "new").data == {"v": 2}


def test_batch_exists_order_with_missing_ids(client: Client, collection: str) -> None:
    a = client.put(collection, "a", {"v": 1})
    c = client.put(collection, "c", {"v": 3})
    assert client.batch_exists(collection, ["c", "missing-1", "a", "missing-2"]) == [
        BatchExistsItem("c", True, c.etag),
        BatchExistsItem("missing-1", False, ""),
        BatchExistsItem("a", True, a.etag),
        BatchExistsItem("missing-2", False, ""),
    ]


def test_batch_delete_with_one_stale_etag(client: Client, collection: str) -> None:
    x = client.put(collection, "x", {"v": 1})
    y1 = client.put(collection, "y", {"v": 1})
    y2 = client.put(collection, "y", {"v": 2})
    client.put(collection, "z", {"v": 1})
    res = client.batch_delete(collection, [batch.delete("x", etag=x.etag), batch.delete("y", etag=y1.etag),
                                           "z", batch.delete("absent")])
    assert [(r.id, r.ok, r.deleted) for r in res] == [
        ("x", True, True), ("y", False, False), ("z", True, True), ("absent", True, False)]
    err = res[1].error
    assert isinstance(err, EtagMismatchError)
    assert err.code == grpc.StatusCode.ABORTED
    assert err.current_etag == y2.etag
    assert client.batch_exists(collection, ["x", "y", "z"]) == [
        BatchExistsItem("x", False, ""), BatchExistsItem("y", True, y2.etag), BatchExistsItem("z", False, "")]
