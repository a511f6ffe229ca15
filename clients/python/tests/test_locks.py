"""Locks without a server of ours: conversions, lock guards on writes, and
``with_lock`` / ``hold`` against an in-process fake LockService (cancel on
return and on raise, busy, lost lease)."""
from __future__ import annotations

import threading
import time
from concurrent import futures
from datetime import datetime, timezone
from typing import Iterator, List, Tuple

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from smarterbase_client import Client, LockGuard, LockHeldError, LockNotHeldError, Reason
from smarterbase_client._stubs import document_service_pb2_grpc
from smarterbase_client._stubs import lock_service_pb2 as lock_pb
from smarterbase_client._stubs import lock_service_pb2_grpc as lock_grpc
from smarterbase_client.locks import seconds_to_duration

from fakes import ScriptedService, abort, error_info


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    """A RetryInfo of ``seconds``."""
    return error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=int(seconds),
                                                                        nanos=int((seconds % 1) * 1e9)))


class FakeLocks(lock_grpc.LockServiceServicer):
    """Hold grants token 7 on any name but "busy" (LOCK_HELD) and "lossy" (LOCK_NOT_HELD after
    the grant); records requests and, per name, when the Hold call ended (the real server
    releases then)."""

    def __init__(self) -> None:
        self.holds: List[lock_pb.HoldRequest] = []
        self.acquires: List[lock_pb.AcquireRequest] = []
        self.ended: List[str] = []
        self.ended_event = threading.Event()

    def Hold(self, request, context):  # type: ignore[no-untyped-def]
        self.holds.append(request)
        if request.name == "busy":
            abort(context, grpc.StatusCode.ABORTED, "held", [error_info("LOCK_HELD", {"name": "busy"}), retry_info(1.5)])

        def ended() -> None:
            self.ended.append(request.name)
            self.ended_event.set()

        context.add_callback(ended)
        yield lock_pb.HoldResponse(fencing_token=7)
        if request.name == "lossy":
            time.sleep(0.02)
            abort(context, grpc.StatusCode.FAILED_PRECONDITION, "lost", [error_info("LOCK_NOT_HELD")])
        while context.is_active():
            time.sleep(0.01)
            yield lock_pb.HoldResponse(fencing_token=7)

    def Acquire(self, request, context):  # type: ignore[no-untyped-def]
        self.acquires.append(request)
        if request.name == "busy":
            abort(context, grpc.StatusCode.ABORTED, "held", [error_info("LOCK_HELD", {"name": "busy"}), retry_info(1.5)])
        res = lock_pb.AcquireResponse(lease_id="L1", fencing_token=2 ** 62)
        res.expire_time.FromMilliseconds(1_700_000_000_250)
        return res

    def Get(self, request, context):  # type: ignore[no-untyped-def]
        return lock_pb.LockServiceGetResponse(held=False)


@pytest.fixture()
def fake() -> Iterator[Tuple[Client, FakeLocks, ScriptedService]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    locks, docs = FakeLocks(), ScriptedService()
    lock_grpc.add_LockServiceServicer_to_server(locks, server)
    document_service_pb2_grpc.add_DocumentServiceServicer_to_server(docs, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    client = Client(f"127.0.0.1:{port}", timeout=0.05)
    yield client, locks, docs
    client.close()
    server.stop(grace=None)


def test_seconds_to_duration() -> None:
    assert seconds_to_duration(2.5) == duration_pb2.Duration(seconds=2, nanos=500_000_000)
    assert seconds_to_duration(0) == duration_pb2.Duration()
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            seconds_to_duration(bad)


def test_reasons_include_the_lock_reasons() -> None:
    assert Reason.LOCK_HELD == "LOCK_HELD" and Reason.LOCK_NOT_HELD == "LOCK_NOT_HELD"


def test_acquire_converts_and_busy_raises_lock_held(fake) -> None:  # type: ignore[no-untyped-def]
    client, locks, _ = fake
    lease = client.acquire("jobs", ttl=1.5, wait=0.25, holder="me")
    assert (lease.name, lease.lease_id, lease.fencing_token) == ("jobs", "L1", 2 ** 62)
    assert lease.expire_time == datetime.fromtimestamp(1_700_000_000.25, tz=timezone.utc)
    assert lease.guard == LockGuard("jobs", 2 ** 62)
    req = locks.acquires[0]
    assert (req.ttl.ToMilliseconds(), req.wait_timeout.ToMilliseconds(), req.holder) == (1500, 250, "me")
    with pytest.raises(LockHeldError) as info:
        client.acquire("busy")
    assert info.value.reason == Reason.LOCK_HELD and info.value.retry_delay == pytest.approx(1.5)
    assert locks.acquires[1].ttl.ToMilliseconds() == 10_000 and not locks.acquires[1].HasField("wait_timeout")
    assert client.get_lock("free").held is False


def test_lock_guards_reach_the_writes(fake) -> None:  # type: ignore[no-untyped-def]
    client, _, docs = fake
    client.put("c", "a", {"n": 1}, lock_guard=LockGuard("L", 5))
    client.put_if_match("c", "a", {"n": 2}, "e2", lock_guard=LockGuard("L", 6))
    client.put("c", "b", {"n": 1})
    client.delete("c", "a", lock_guard=LockGuard("M", 2))
    puts = docs.requests["Put"]
    assert (puts[0].lock_guard.name, puts[0].lock_guard.fencing_token) == ("L", 5)
    assert not puts[1].HasField("lock_guard")
    assert docs.requests["PutIfMatch"][0].lock_guard.fencing_token == 6
    assert docs.requests["Delete"][0].lock_guard.name == "M"
    with pytest.raises(TypeError):
        client.put("c", "a", {"n": 1}, lock_guard=("L", 5))  # type: ignore[arg-type]


def test_with_lock_runs_fn_then_cancels_and_outlives_the_default_timeout(fake) -> None:  # type: ignore[no-untyped-def]
    client, locks, _ = fake
    seen = []

    def fn(lock):  # type: ignore[no-untyped-def]
        seen.append((lock.name, lock.fencing_token, lock.guard))
        time.sleep(0.15)  # longer than the client's 50 ms default timeout
        assert not lock.lost.is_set()
        return "result"

    assert client.with_lock("jobs", fn, ttl=3, holder="w1") == "result"
    assert seen == [("jobs", 7, LockGuard("jobs", 7))]
    assert locks.ended_event.wait(30) and locks.ended == ["jobs"]
    h = locks.holds[0]
    assert (h.name, h.holder, h.ttl.ToMilliseconds(), h.HasField("wait_timeout")) == ("jobs", "w1", 3000, False)


def test_with_lock_cancels_when_fn_raises(fake) -> None:  # type: ignore[no-untyped-def]
    client, locks, _ = fake

    def fn(lock):  # type: ignore[no-untyped-def]
        raise RuntimeError("fn failed")

    with pytest.raises(RuntimeError, match="fn failed"):
        client.with_lock("a", fn)
    assert locks.ended_event.wait(30) and locks.ended == ["a"]


def test_with_lock_busy_never_runs_fn(fake) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = fake
    ran = []
    with pytest.raises(LockHeldError) as info:
        client.with_lock("busy", lambda lock: ran.append(1))
    assert ran == [] and info.value.retry_delay == pytest.approx(1.5)


def test_lost_lease_sets_lost_with_lock_not_held(fake) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = fake
    with client.hold("lossy") as lock:
        assert lock.lost.wait(30)
        assert isinstance(lock.error, LockNotHeldError)
