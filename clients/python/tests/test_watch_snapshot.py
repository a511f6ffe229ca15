"""Client.watch with initial_snapshot and include_previous against a scripted fake
StreamService on 127.0.0.1: snapshot pages, complete, previous documents, a resume after
complete without a snapshot, and a snapshot cut before its end raising the error."""
from __future__ import annotations

import grpc
import pytest

from smarterbase_client import SmarterBaseError
from smarterbase_client._stubs import document_pb2
from smarterbase_client._stubs import stream_service_pb2 as spb

from fakes import error_info
from watch_fake import FAST, Step, change, start  # noqa: F401 (start is a fixture)


def page(rev: int, *ids: str) -> Step:
    docs = [document_pb2.Document(collection="c", id=i, etag=f"e-{i}", revision=3) for i in ids]
    return ("msg", spb.WatchResponse(revision=rev, snapshot=spb.SnapshotPage(documents=docs)))


def complete(rev: int) -> Step:
    return ("msg", spb.WatchResponse(revision=rev, snapshot=spb.SnapshotPage(complete=True)))


def unavailable() -> Step:
    return ("error", (grpc.StatusCode.UNAVAILABLE, "shutting_down", [error_info("SHUTTING_DOWN")]))


def test_snapshot_then_changes_then_a_resume_without_snapshot(start) -> None:
    with_previous = ("msg", spb.WatchResponse(revision=7, changes=spb.ChangeBatch(events=[
        spb.ChangeEvent(type=spb.CHANGE_TYPE_PUT, id="a", revision=7, previous_revision=3,
                        document=document_pb2.Document(id="a", etag="e7"),
                        previous_document=document_pb2.Document(id="a", etag="e-a", revision=3)),
        spb.ChangeEvent(type=spb.CHANGE_TYPE_DELETE, id="b", revision=7, previous_revision=2, previous_unavailable=True),
    ])))
    srv, db = start(
        [page(5, "a", "b"), page(5, "c"), with_previous, complete(8), change(9), unavailable()],
        [change(9), change(10)],
    )
    got = []
    for b in db.watch("c", initial_snapshot=True, include_previous=True, backoff=FAST):
        got.append(b)
        if len(got) == 6:
            break
    assert [(b.kind, b.revision) for b in got] == [
        ("snapshot", 5), ("snapshot", 5), ("changes", 7), ("snapshot_complete", 8), ("changes", 9), ("changes", 10)]
    assert [(d.id, d.revision) for d in got[0].documents] == [("a", 3), ("b", 3)]
    put, delete = got[2].changes
    assert put.previous_document is not None and put.previous_document.etag == "e-a" and not put.previous_unavailable
    assert delete.previous_document is None and delete.previous_unavailable
    reqs = srv.servicer.requests
    assert [(r.initial_snapshot, r.after_revision, r.include_previous) for r in reqs] == [(True, 0, True), (False, 9, True)]


def test_a_snapshot_cut_before_complete_raises_and_does_not_resume(start) -> None:
    srv, db = start([page(5, "a"), change(6), unavailable()], [change(7)])
    seen = []
    with pytest.raises(SmarterBaseError) as info:
        for b in db.watch("c", initial_snapshot=True, backoff=FAST):
            seen.append(b)
    assert info.value.code == grpc.StatusCode.UNAVAILABLE and info.value.reason == "SHUTTING_DOWN"
    assert [b.kind for b in seen] == ["snapshot", "changes"]
    assert srv.servicer.after_revisions() == [0]
