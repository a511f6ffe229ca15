"""Transactions (DocumentService.Commit) against a live SmarterBase server
(SMARTERBASE_GRPC_ADDR or the built server). They need Commit: against a server
without it they fail (UNIMPLEMENTED), never skip. The failpoint tests start their
own built server (dist/server/src/main.js) with SB_FAILPOINTS armed."""
from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator, List

import grpc
import pytest

from conftest import SERVER_MAIN, SpawnedServer
from smarterbase_client import (
    Client,
    InvalidArgumentError,
    LockGuard,
    LockNotHeldError,
    PreconditionFailedError,
    PreconditionViolation,
    RetryPolicy,
    Transaction,
    TransactionWriteResult,
    UnavailableError,
)


def test_set_delete_check_across_two_collections(client: Client, collection: str) -> None:
    other = f"{collection}-cfg"
    a = client.put(collection, "a", {"bal": 10})
    client.put(collection, "b", {"bal": 3})
    cfg = client.put(other, "k", {"frozen": False})
    before = datetime.now(timezone.utc) - timedelta(seconds=5)

    tx = client.transaction()
    tx.set(collection, "a", {"bal": 13}, if_etag=a.etag)
    tx.delete(collection, "b", if_exists=True)
    tx.check(other, "k", if_etag=cfg.etag)
    tx.set(other, "new", {"created": True}, if_exists=False)
    tx.check(other, "absent", if_exists=False)
    res = tx.commit()

    assert res.transaction_id and before <= res.commit_time <= datetime.now(timezone.utc) + timedelta(seconds=5)
    assert res.commit_time.tzinfo is not None
    got_a, got_new = client.get(collection, "a"), client.get(other, "new")
    assert res.results == [
        TransactionWriteResult(collection, "a", got_a.etag, 2),
        TransactionWriteResult(collection, "b", "", 0),
        TransactionWriteResult(other, "k", cfg.etag, 1),
        TransactionWriteResult(other, "new", got_new.etag, 1),
        TransactionWriteResult(other, "absent", "", 0),
    ]
    assert got_a.data == {"bal": 13} and got_a.etag != a.etag
    assert got_new.data == {"created": True}
    assert not client.exists(collection, "b")
    assert client.get(other, "k").etag == cfg.etag  # checked, not written
    assert not client.exists(other, "absent")


def test_failed_preconditions_name_the_writes_and_write_nothing(client: Client, collection: str) -> None:
    other = f"{collection}-cfg"
    a1 = client.put(collection, "a", {"v": 1})
    a2 = client.put(collection, "a", {"v": 2})  # a1.etag is now stale
    client.put(other, "taken", {"v": 1})
    ok = client.put(collection, "ok", {"v": 1})

    tx = (client.transaction()
          .set(collection, "ok", {"v": "changed"}, if_etag=ok.etag)  # writes[0] holds
          .set(collection, "a", {"v": "stale write"}, if_etag=a1.etag)  # writes[1]: ETAG
          .set(other, "taken", {"v": "overwritten?"}, if_exists=False)  # writes[2]: NOT_EXISTS
          .delete(collection, "nobody", if_exists=True)  # writes[3]: EXISTS
          .set(collection, "fresh", {"v": 1}))  # writes[4]: no precondition
    with pytest.raises(PreconditionFailedError) as info:
        tx.commit()
    err = info.value
    assert (err.code, err.reason) == (grpc.StatusCode.ABORTED, "PRECONDITION_FAILED")
    by_subject = {v.subject: v for v in err.precondition_failures}
    assert sorted(by_subject) == ["writes[1]", "writes[2]", "writes[3]"]
    assert [by_subject[s].type for s in ("writes[1]", "writes[2]", "writes[3]")] == ["ETAG", "NOT_EXISTS", "EXISTS"]
    assert sorted(v.write_index for v in err.precondition_failures) == [1, 2, 3]  # type: ignore[type-var]
    assert f"{collection}/a" in by_subject["writes[1]"].description
    assert all(isinstance(v, PreconditionViolation) for v in err.precondition_failures)
    assert not tx.committed

    # Nothing was written: not even the writes whose preconditions held.
    assert client.get(collection, "ok").etag == ok.etag
    assert client.get(collection, "a").etag == a2.etag and client.get(collection, "a").data == {"v": 2}
    assert client.get(other, "taken").data == {"v": 1}
    assert not client.exists(collection, "fresh")


def test_request_id_retry_returns_the_first_outcome(client: Client, collection: str) -> None:
    rid = f"py-{uuid.uuid4()}"

    def build() -> Transaction:
        return client.transaction(request_id=rid).set(collection, "x", {"n": 1}, if_exists=False)

    first = build().commit()
    client.put(collection, "x", {"n": "changed since"})  # a re-run would now fail its precondition
    again = build().commit()
    assert again.transaction_id == first.transaction_id
    assert again.results == first.results and again.commit_time == first.commit_time
    assert client.get(collection, "x").data == {"n": "changed since"}  # the retry wrote nothing

    # The same Transaction committed again (its own uuid4 request id) is also answered, not re-run.
    tx = client.transaction().set(collection, "y", {"n": 1}, if_exists=False)
    assert tx.commit().transaction_id == tx.commit().transaction_id
    assert client.get(collection, "y").version == 1

    with pytest.raises(InvalidArgumentError) as info:
        client.transaction(request_id=rid).set(collection, "x", {"n": 2}).commit()
    assert info.value.reason == "REQUEST_ID_REUSED"


def test_concurrent_increments_through_run_transaction_lose_nothing(
        server_address: str, client: Client, collection: str) -> None:
    other = f"{collection}-b"
    client.put(collection, "counter", {"n": 0})
    client.put(other, "counter", {"n": 0})
    threads_n, per_thread = 8, 10
    start = threading.Barrier(threads_n)
    errors: List[BaseException] = []
    attempts = {"runs": 0}
    count_lock = threading.Lock()

    def increment(db: Client):  # type: ignore[no-untyped-def]
        def fn(tx: Transaction) -> None:
            with count_lock:
                attempts["runs"] += 1
            a, b = db.get(collection, "counter"), db.get(other, "counter")
            tx.set(collection, "counter", {"n": a.data["n"] + 1}, if_etag=a.etag)
            tx.set(other, "counter", {"n": b.data["n"] + 1}, if_etag=b.etag)
        return fn

    def worker() -> None:
        try:
            with Client(server_address, timeout=20) as db:
                start.wait()
                for _ in range(per_thread):
                    db.run_transaction(increment(db), max_attempts=500)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    a, b = client.get(collection, "counter"), client.get(other, "counter")
    assert a.data == {"n": threads_n * per_thread} and b.data == {"n": threads_n * per_thread}
    assert a.version == b.version == threads_n * per_thread + 1
    assert attempts["runs"] > threads_n * per_thread  # there was real contention to survive


def test_stale_lock_guard_refuses_the_whole_commit(client: Client, collection: str) -> None:
    name = f"{collection}-lock"
    old = client.acquire(name, ttl=5)
    client.release(old)
    cur = client.acquire(name, ttl=5)
    try:
        with pytest.raises(LockNotHeldError):
            client.transaction(lock_guard=LockGuard(name, old.fencing_token)).set(collection, "x", {"v": 1}).commit()
        assert not client.exists(collection, "x")
        client.transaction().set(collection, "x", {"v": 2}).commit(lock_guard=cur.guard)
        assert client.get(collection, "x").data == {"v": 2}
    finally:
        client.release(cur)


# -- failpoint servers: the client's UNAVAILABLE retry and the request id -------------------


@pytest.fixture()
def failpoint_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """host:port of a built server armed with the failpoints of ``@pytest.mark.parametrize``."""
    if not os.path.isfile(SERVER_MAIN):
        pytest.fail(f"{SERVER_MAIN} is missing: run npm run build")
    server = SpawnedServer({"SB_FAILPOINTS": request.param})
    try:
        yield f"127.0.0.1:{server.wait_listening()}"
    finally:
        server.stop()


def _sleep_recording(db: Client) -> List[float]:
    sleeps: List[float] = []
    db._sleep = sleeps.append  # type: ignore[method-assign]
    return sleeps


@pytest.mark.parametrize("failpoint_server", ["txn.after-commit-point=error"], indirect=True)
def test_unavailable_after_the_commit_point_is_retried_idempotently(failpoint_server: str, collection: str) -> None:
    # Every fresh commit fails with UNAVAILABLE just after its commit point: it IS committed.
    with Client(failpoint_server, timeout=20, retries=RetryPolicy.disabled()) as no_retry:
        with pytest.raises(UnavailableError):
            no_retry.transaction().set(collection, "seen", {"v": 1}).commit()
        assert no_retry.get(collection, "seen").data == {"v": 1}

    with Client(failpoint_server, timeout=20, retries=RetryPolicy(initial_backoff=0.01)) as db:
        sleeps = _sleep_recording(db)
        # Without the request id the retry would re-run the create and fail its precondition.
        res = db.transaction().set(collection, "once", {"v": 1}, if_exists=False).commit()
        assert len(sleeps) == 1  # one UNAVAILABLE, one retry answered from the first commit
        doc = db.get(collection, "once")
        assert res.results == [TransactionWriteResult(collection, "once", doc.etag, 1)] and doc.version == 1
        # run_transaction goes through the same path.
        db.run_transaction(lambda tx: tx.set(collection, "once", {"v": 2}, if_etag=doc.etag))
        assert db.get(collection, "once").data == {"v": 2} and db.get(collection, "once").version == 2


@pytest.mark.parametrize("failpoint_server", ["txn.after-stage=error"], indirect=True)
def test_unavailable_before_the_commit_point_leaves_nothing(failpoint_server: str, collection: str) -> None:
    with Client(failpoint_server, timeout=20, retries=RetryPolicy(max_attempts=3, initial_backoff=0.01)) as db:
        db.put(collection, "a", {"v": 1})
        sleeps = _sleep_recording(db)
        with pytest.raises(UnavailableError):
            db.transaction().set(collection, "a", {"v": 2}).set(collection, "b", {"v": 2}).commit()
        assert len(sleeps) == 2  # every attempt failed before its commit point
        assert db.get(collection, "a").data == {"v": 1} and db.get(collection, "a").version == 1
        assert not db.exists(collection, "b")
