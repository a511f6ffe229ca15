"""Client.watch against a real gRPC server on 127.0.0.1 running a scripted fake
StreamService behind a TCP proxy: resume after a cut connection, a progress message,
WATCH_TOO_SLOW and a stream end (never a duplicate or a gap), typed REVISION_COMPACTED,
non-retryable errors, cancellation, and the request and conversions."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import List, Optional

import grpc
import pytest
from google.protobuf import duration_pb2, struct_pb2
from google.rpc import error_details_pb2

from smarterbase_client import RevisionCompactedError, SmarterBaseError, WatchBatch
from smarterbase_client._stubs import document_pb2
from smarterbase_client._stubs import stream_service_pb2 as spb

from fakes import error_info
from watch_fake import FAST, Step, change, progress, start  # noqa: F401 (start is a fixture)


def failure(code: grpc.StatusCode, reason: str, metadata: Optional[dict] = None, retry_s: Optional[float] = None) -> Step:
    details: list = [error_info(reason, metadata)]
    if retry_s is not None:
        details.append(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=int(retry_s * 1e9))))
    return ("error", (code, reason.lower(), details))


def take(stream, n: int, on_batch=None) -> List[WatchBatch]:
    out: List[WatchBatch] = []
    for b in stream:
        out.append(b)
        if on_batch is not None:
            on_batch(b)
        if len(out) == n:
            break
    return out


def revs(batches: List[WatchBatch]) -> List[int]:
    return [b.revision for b in batches]


def test_watch_resumes_after_a_cut_connection_without_duplicates_or_gaps(start) -> None:
    got7 = threading.Event()
    srv, db = start(
        [change(5), change(7), ("drop", got7)],
        [change(7), change(6), change(9)],  # the resumed call resends old revisions first
    )
    stream = db.watch("c", backoff=FAST)
    got = take(stream, 3, lambda b: b.revision == 7 and got7.set())
    assert revs(got) == [5, 7, 9]
    assert srv.servicer.after_revisions() == [0, 7]
    assert stream.last_revision == 9 and stream.resumes >= 1


def test_watch_resumes_from_a_progress_revision_and_after_the_stream_ends(start) -> None:
    srv, db = start(
        [change(3), progress(10), failure(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")],
        [progress(10), change(12), ("end", None)],
        [change(13)],
    )
    got = take(db.watch("c", after_revision=2, backoff=FAST), 4)
    assert revs(got) == [3, 10, 12, 13]
    assert [b.progress for b in got] == [False, True, False, False]
    assert got[1].changes == []
    assert srv.servicer.after_revisions() == [2, 10, 12]


def test_watch_yields_a_progress_at_its_start_revision_once_and_no_repeats(start) -> None:
    _, db = start([progress(19), progress(19), change(20), progress(20), progress(20), progress(19), change(21)])
    got = take(db.watch("c", after_revision=19, backoff=FAST), 4)
    assert [(b.revision, b.progress) for b in got] == [(19, True), (20, False), (20, True), (21, False)]


def test_watch_too_slow_waits_for_retry_info_then_the_backoff_starts_over(start) -> None:
    waits: List[float] = []
    srv, db = start(
        [change(1), failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "WATCH_TOO_SLOW", {"limit": "10"}, retry_s=0.04)],
        [failure(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")],
        [change(2)],
    )
    got = take(db.watch("c", backoff=FAST, on_resume=lambda _n, _e, w: waits.append(w)), 2)
    assert revs(got) == [1, 2]
    assert srv.servicer.after_revisions() == [0, 1, 1]
    assert len(waits) == 2 and waits[0] >= 0.04 and waits[1] <= 0.005


def test_watch_revision_compacted_is_typed_and_not_retried(start) -> None:
    md = {"collection": "c", "requestedRevision": "3", "oldestRevision": "9007199254740993",
          "currentRevision": "9007199254741000"}
    srv, db = start([failure(grpc.StatusCode.OUT_OF_RANGE, "REVISION_COMPACTED", md)])
    with pytest.raises(RevisionCompactedError) as info:
        take(db.watch("c", after_revision=3, backoff=FAST), 1)
    err = info.value
    assert err.code == grpc.StatusCode.OUT_OF_RANGE and err.reason == "REVISION_COMPACTED"
    assert (err.requested_revision, err.oldest_revision, err.current_revision) == (3, 9007199254740993, 9007199254741000)
    assert len(srv.servicer.requests) == 1


@pytest.mark.parametrize("code,reason", [
    (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "SERVER_OVERLOADED"),
    (grpc.StatusCode.INTERNAL, "INTERNAL_ERROR"),
])
def test_watch_stops_on_a_non_retryable_error(start, code: grpc.StatusCode, reason: str) -> None:
    srv, db = start([change(4), failure(code, reason)], [change(5)])
    seen: List[WatchBatch] = []
    with pytest.raises(SmarterBaseError) as info:
        take(db.watch("c", backoff=FAST), 5, seen.append)
    assert (info.value.code, info.value.reason) == (code, reason)
    assert revs(seen) == [4]
    assert len(srv.servicer.requests) == 1


def _wait_until(cond, timeout: float = 60.0) -> None:
    """Waits for cond; the timeout is a hang guard (CI runs this beside jest at load average ~10)."""
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.01)
    assert cond()


def test_watch_close_from_another_thread_and_leaving_the_loop_cancel_the_call(start) -> None:
    srv, db = start([change(1)], [change(1)])
    stream = db.watch("c", backoff=FAST)
    seen: List[WatchBatch] = []
    done = threading.Event()

    def consume() -> None:
        for b in stream:  # ends quietly once closed
            seen.append(b)
        done.set()

    t = threading.Thread(target=consume)
    t.start()
    _wait_until(lambda: len(seen) == 1)
    stream.close()
    assert done.wait(60), "close() did not end the iteration"
    t.join()
    _wait_until(lambda: srv.servicer.cancelled == 1)
    take(db.watch("c"), 1)
    _wait_until(lambda: srv.servicer.cancelled == 2)
    assert len(srv.servicer.requests) == 2


def test_watch_sends_its_filters_and_converts_a_transaction(start) -> None:
    data = struct_pb2.Struct()
    data.update({"k": 1})
    tx = spb.WatchResponse(revision=20, changes=spb.ChangeBatch(
        transaction_id="tx1",
        events=[
            spb.ChangeEvent(type=spb.CHANGE_TYPE_DELETE, id="a", revision=20, previous_revision=11),
            spb.ChangeEvent(type=spb.CHANGE_TYPE_PUT, id="b", revision=21,
                            document=document_pb2.Document(id="b", data=data, version=2)),
        ]))
    tx.changes.commit_time.FromDatetime(datetime(2026, 1, 2, tzinfo=timezone.utc))
    srv, db = start([("msg", tx)])
    (b,) = take(db.watch("c", ids=["a", "b"], progress_interval=0.25, after_revision=19), 1)
    req = srv.servicer.requests[0]
    assert (req.collection, list(req.ids), req.id_prefix, req.after_revision) == ("c", ["a", "b"], "", 19)
    assert (req.progress_interval.seconds, req.progress_interval.nanos) == (0, 250_000_000)
    assert b.transaction_id == "tx1" and b.commit_time == datetime(2026, 1, 2, tzinfo=timezone.utc)
    d, p = b.changes
    assert (d.type, d.id, d.document, d.revision, d.previous_revision) == ("DELETE", "a", None, 20, 11)
    assert (p.type, p.id, p.revision) == ("PUT", "b", 21) and p.document is not None and p.document.data == {"k": 1}


def test_watch_retries_feed_recovering_from_the_same_revision_after_its_retry_info(start) -> None:
    waits: List[float] = []
    srv, db = start(
        [failure(grpc.StatusCode.UNAVAILABLE, "FEED_RECOVERING", {"collection": "c"}, retry_s=0.04)],
        [change(8)],
    )
    got = take(db.watch("c", after_revision=7, backoff=FAST, on_resume=lambda _n, _e, w: waits.append(w)), 1)
    assert revs(got) == [8]
    assert srv.servicer.after_revisions() == [7, 7]
    assert waits[0] >= 0.04
