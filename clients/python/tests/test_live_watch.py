"""Revisions and Watch against a real server of this file's own: the embedded
default (local coordination, in-memory storage) started from the built server,
whatever SMARTERBASE_GRPC_ADDR names (CI's shared server runs Redis
coordination, where Watch is not served yet). Every read carries a
read_revision and every document its revision; a watch from a list's
read_revision sees the later writes in order, a 2-document commit in one
batch; and SB_FEED_RETAIN_COUNT=2 makes an old revision fail with
RevisionCompactedError."""
from __future__ import annotations

import threading
import uuid
from typing import Iterator, List

import pytest

from conftest import embedded_client
from smarterbase_client import Client, RevisionCompactedError, WatchBatch


@pytest.fixture(scope="module")
def embedded() -> Iterator[Client]:
    """A client of an embedded-default server shared by this file's tests."""
    yield from embedded_client({})


@pytest.fixture()
def coll() -> str:
    return f"py-watch-{uuid.uuid4().hex[:12]}"


def test_reads_carry_read_revision_and_documents_their_revision(embedded: Client, coll: str) -> None:
    db = embedded
    put = db.put(coll, "a", {"v": 1})
    assert put.revision > 0
    nxt = db.put_if_match(coll, "a", {"v": 2}, put.etag)
    assert nxt.revision > put.revision
    created = db.create(coll, {"v": 3}, id="b")
    assert created.revision > nxt.revision

    doc, read_revision = db.get_with_read_revision(coll, "a")
    assert doc == nxt and read_revision >= created.revision
    assert db.get(coll, "a") == nxt

    page = db.list(coll)
    assert [(d.id, d.revision) for d in page.documents] == [("a", nxt.revision), ("b", created.revision)]
    assert page.read_revision >= created.revision

    items = list(db.batch_get(coll, ["b", "missing"]))
    assert [(i.id, i.document.revision if i.document else None) for i in items] == [
        ("b", created.revision), ("missing", None)]
    assert all(i.read_revision >= created.revision for i in items)

    q = db.query(coll)
    assert [d.revision for d in q.to_list()] == [nxt.revision, created.revision]
    assert q.read_revision >= created.revision


def _collect_changes(db: Client, coll: str, after: int, count: int, out: List[WatchBatch]) -> threading.Thread:
    stream = db.watch(coll, after_revision=after, progress_interval=0.2)

    def run() -> None:
        with stream:
            for batch in stream:
                if batch.progress:
                    continue
                out.append(batch)
                if len(out) == count:
                    return

    t = threading.Thread(target=run, daemon=True)
    t.start()
    timer = threading.Timer(20.0, stream.close)  # never hang the suite
    timer.daemon = True
    timer.start()
    return t


def test_watch_from_list_read_revision_sees_put_delete_and_commit_in_order(embedded: Client, coll: str) -> None:
    db = embedded
    before = db.put(coll, "old", {"v": 0})
    page = db.list(coll)
    assert [d.revision for d in page.documents] == [before.revision]
    start = page.read_revision
    assert start >= before.revision

    batches: List[WatchBatch] = []
    watcher = _collect_changes(db, coll, start, 3, batches)
    put = db.put(coll, "a", {"v": 1})
    assert db.delete(coll, "old") is True
    tx = db.transaction()
    tx.set(coll, "c", {"v": 3})
    tx.set(coll, "d", {"v": 4})
    commit = tx.commit()
    watcher.join(25.0)

    assert [[(c.type, c.id) for c in b.changes] for b in batches] == [
        [("PUT", "a")], [("DELETE", "old")], [("PUT", "c"), ("PUT", "d")]]
    revisions = [b.revision for b in batches]
    assert start < revisions[0] < revisions[1] < revisions[2]
    assert commit.transaction_id != ""
    assert [b.transaction_id for b in batches] == ["", "", commit.transaction_id]

    put_change = batches[0].changes[0]
    assert put_change.revision == put.revision
    assert put_change.document is not None and put_change.document.revision == put.revision
    assert put_change.previous_revision == 0
    delete_change = batches[1].changes[0]
    assert delete_change.revision == batches[1].revision
    assert delete_change.previous_revision == before.revision and delete_change.document is None
    for c in batches[2].changes:
        assert c.document is not None and c.document.revision == c.revision >= batches[2].revision
    assert min(c.revision for c in batches[2].changes) == batches[2].revision
    assert db.get(coll, "d").revision == batches[2].changes[1].revision


def test_watch_from_a_quiet_read_first_yields_progress_at_the_read_revision(embedded: Client, coll: str) -> None:
    embedded.put(coll, "a", {"v": 1})
    start = embedded.list(coll).read_revision
    stream = embedded.watch(coll, after_revision=start, progress_interval=0.2)
    timer = threading.Timer(20.0, stream.close)
    timer.daemon = True
    timer.start()
    with stream:
        first = next(iter(stream), None)
    timer.cancel()
    assert first is not None and first.progress and first.revision == start


@pytest.fixture(scope="module")
def retaining_two() -> Iterator[Client]:
    """A client of an embedded-default server keeping 2 events per collection."""
    yield from embedded_client({"SB_FEED_RETAIN_COUNT": "2"})


def test_watch_from_a_compacted_revision_raises_revision_compacted(retaining_two: Client, coll: str) -> None:
    db = retaining_two
    db.put(coll, "first", {"v": 0})
    start = db.list(coll).read_revision
    last = 0
    for i in range(1, 6):
        last = db.put(coll, f"doc{i}", {"v": i}).revision

    stream = db.watch(coll, after_revision=start)
    timer = threading.Timer(20.0, stream.close)
    timer.daemon = True
    timer.start()
    with pytest.raises(RevisionCompactedError) as caught:
        for batch in stream:
            pytest.fail(f"unexpected batch at {batch.revision}")
    timer.cancel()
    err = caught.value
    assert err.reason == "REVISION_COMPACTED"
    assert err.requested_revision == start
    assert err.oldest_revision > start
    assert err.current_revision == last
    assert err.metadata["collection"] == coll


def test_initial_snapshot_include_previous_and_delete_revision(embedded: Client, coll: str) -> None:
    db = embedded
    a1 = db.put(coll, "a", {"v": 1})
    db.put(coll, "b", {"v": 1})
    state: dict = {}
    changes: List[WatchBatch] = []
    deleted = None
    with db.watch(coll, initial_snapshot=True, include_previous=True, progress_interval=0.2) as stream:
        for b in stream:
            for d in b.documents:
                state[d.id] = d.data
            if b.kind == "snapshot_complete":
                assert state == {"a": {"v": 1}, "b": {"v": 1}}
                db.put(coll, "a", {"v": 2})
                deleted = db.delete_with_revision(coll, "b")
            if b.changes:
                changes.append(b)
            if len(changes) == 2:
                break
    assert deleted is not None and deleted.deleted and deleted.revision > 0
    put, delete = changes[0].changes[0], changes[1].changes[0]
    assert put.previous_document is not None and put.previous_document.etag == a1.etag
    assert put.previous_document.revision == a1.revision
    assert delete.revision == deleted.revision and delete.previous_document is not None
    again = db.delete_with_revision(coll, "b")
    assert not again and again.revision == 0
