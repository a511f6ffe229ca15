"""Locks against a live SmarterBase server (SMARTERBASE_GRPC_ADDR or the built server).
They need LockService: against a server without it they fail (UNIMPLEMENTED), never skip."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import List

import grpc
import pytest

from smarterbase_client import Client, LockGuard, LockHeldError, LockNotHeldError


def test_acquire_busy_release(client: Client, collection: str) -> None:
    name = f"{collection}-lock"
    a = client.acquire(name, ttl=5, holder="py-a")
    assert a.expire_time > datetime.now(timezone.utc)
    with pytest.raises(LockHeldError) as info:
        client.acquire(name, ttl=1)
    assert info.value.code == grpc.StatusCode.ABORTED
    assert info.value.retry_delay is not None and 0 < info.value.retry_delay <= 5
    got = client.get_lock(name)
    assert (got.held, got.holder, got.fencing_token) == (True, "py-a", a.fencing_token)
    assert client.renew(a, 8).fencing_token == a.fencing_token
    assert client.release(a) is True
    assert client.release(a) is False
    assert client.get_lock(name).held is False
    b = client.acquire(name, ttl=1)
    assert b.fencing_token > a.fencing_token
    with pytest.raises(LockNotHeldError):
        client.renew(a, 1)
    client.release(b)


def test_with_lock_mutual_exclusion(server_address: str, client: Client, collection: str) -> None:
    name = f"{collection}-lock"
    client.put(collection, "counter", {"n": 0})
    state = {"inside": 0, "max_inside": 0}
    guard = threading.Lock()
    tokens: List[int] = []
    errors: List[BaseException] = []

    def increment(db: Client):  # type: ignore[no-untyped-def]
        def fn(lock):  # type: ignore[no-untyped-def]
            with guard:
                state["inside"] += 1
                state["max_inside"] = max(state["max_inside"], state["inside"])
                tokens.append(lock.fencing_token)
            try:
                cur = db.get(collection, "counter")
                time.sleep(0.001)  # widen the race window a lock must close
                db.put(collection, "counter", {"n": cur.data["n"] + 1}, lock_guard=lock.guard)
            finally:
                with guard:
                    state["inside"] -= 1
        return fn

    def worker() -> None:
        try:
            with Client(server_address, timeout=20) as db:
                for _ in range(10):
                    db.with_lock(name, increment(db), ttl=5, wait=20)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert client.get(collection, "counter").data["n"] == 40
    assert state["max_inside"] == 1
    assert len(tokens) == 40 and all(a < b for a, b in zip(tokens, tokens[1:]))
    assert client.get_lock(name).held is False


def test_with_lock_releases_when_fn_raises(client: Client, collection: str) -> None:
    name = f"{collection}-lock"

    def fn(lock):  # type: ignore[no-untyped-def]
        raise RuntimeError("fn failed")

    with pytest.raises(RuntimeError):
        client.with_lock(name, fn)
    deadline = time.monotonic() + 5
    while client.get_lock(name).held and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.get_lock(name).held is False


def test_stale_lock_guard_is_refused(client: Client, collection: str) -> None:
    name = f"{collection}-lock"
    old = client.acquire(name, ttl=1)
    first = client.put(collection, "doc", {"by": "old"}, lock_guard=old.guard)
    client.release(old)
    cur = client.acquire(name, ttl=5)
    stale = LockGuard(name, old.fencing_token)
    for write in (lambda: client.put(collection, "doc", {"by": "stale"}, lock_guard=stale),
                  lambda: client.put_if_match(collection, "doc", {"by": "stale"}, first.etag, lock_guard=stale),
                  lambda: client.delete(collection, "doc", lock_guard=stale)):
        with pytest.raises(LockNotHeldError) as info:
            write()
        assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert client.get(collection, "doc").data == {"by": "old"}
    client.put(collection, "doc", {"by": "current"}, lock_guard=cur.guard)
    assert client.get(collection, "doc").data == {"by": "current"}
    client.release(cur)
