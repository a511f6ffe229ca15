"""Transactions without a server: the builder's wire form, PreconditionFailure decoding,
and commit / run_transaction against the in-process scripted DocumentService."""
from __future__ import annotations

import pickle
import uuid
from datetime import datetime, timezone
from typing import List

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2

from fakes import ScriptedService, abort, error_info, status_bin
from smarterbase_client import (
    AbortedError,
    Client,
    CommitResult,
    InvalidArgumentError,
    LockGuard,
    LockHeldError,
    PreconditionFailedError,
    PreconditionViolation,
    Reason,
    RetryPolicy,
    SmarterBaseError,
    Transaction,
    TransactionContentionError,
    TransactionWriteResult,
    UnavailableError,
    error_from_status,
    error_from_status_proto,
)

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.01)
UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, "backend down", [error_info("BACKEND_UNAVAILABLE")])


def precondition_failed(*violations: PreconditionViolation):  # type: ignore[no-untyped-def]
    failure = error_details_pb2.PreconditionFailure(violations=[
        error_details_pb2.PreconditionFailure.Violation(type=v.type, subject=v.subject, description=v.description)
        for v in violations])
    return (grpc.StatusCode.ABORTED, f"{len(violations)} precondition(s) failed",
            [error_info("PRECONDITION_FAILED", {"failed": str(len(violations))}), failure])


CONTENTION = (grpc.StatusCode.ABORTED, "busy", [
    error_info("TRANSACTION_CONTENTION", {"collection": "c", "id": "x"}),
    error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=50_000_000))])


@pytest.fixture()
def scripted(fake_server_factory):  # type: ignore[no-untyped-def]
    """(service, client) of a fresh ScriptedService; the client records its sleeps."""
    made: List[Client] = []

    def make(outcomes=()):  # type: ignore[no-untyped-def]
        svc = ScriptedService(outcomes)
        db = Client(fake_server_factory(svc).address, timeout=5, retries=FAST)
        db.sleeps = []  # type: ignore[attr-defined]
        db._sleep = db.sleeps.append  # type: ignore[attr-defined]
        made.append(db)
        return svc, db

    yield make
    for db in made:
        db.close()


# -- builder -------------------------------------------------------------------


def test_builder_maps_writes_and_preconditions_onto_the_proto() -> None:
    tx = Transaction(client=None, request_id="rid-1")
    assert tx.set("acc", "a", {"bal": 5}, if_etag="e1") is tx
    tx.delete("acc", "b", if_exists=True).check("cfg", "k", if_exists=False).set("acc", "c", {})
    tx.create("acc", "d", {"n": 1}).delete("acc", "e").check("cfg", "k2")
    req = tx.to_proto()
    assert req.request_id == "rid-1" and not req.HasField("lock_guard")
    got = [(w.collection, w.id, w.WhichOneof("operation"),
            w.precondition.WhichOneof("condition") if w.HasField("precondition") else None)
           for w in req.writes]
    assert got == [("acc", "a", "set", "etag"), ("acc", "b", "delete", "exists"), ("cfg", "k", "check", "exists"),
                   ("acc", "c", "set", None), ("acc", "d", "set", "exists"), ("acc", "e", "delete", None),
                   ("cfg", "k2", "check", None)]
    assert req.writes[0].precondition.etag == "e1" and req.writes[0].set.data["bal"] == 5
    assert req.writes[1].precondition.exists is True
    assert req.writes[2].precondition.exists is False
    assert req.writes[3].HasField("set") and len(req.writes[3].set.data) == 0
    assert req.writes[4].precondition.exists is False and req.writes[4].set.data["n"] == 1
    assert len(tx) == 7


def test_builder_rejects_bad_writes_before_sending() -> None:
    tx = Transaction(client=None)
    with pytest.raises(ValueError, match="mutually exclusive"):
        tx.set("c", "a", {}, if_etag="e", if_exists=True)
    with pytest.raises(ValueError):
        tx.check("c", "a", if_etag="")
    with pytest.raises(TypeError):
        tx.delete("c", "a", if_exists="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tx.set("c", "a", {"big": 2**60})  # not exactly representable as a JSON number
    tx.set("c", "a", {"v": 1})
    with pytest.raises(ValueError, match="one write per document"):
        tx.check("c", "a", if_exists=True)
    tx.check("other", "a", if_exists=True)  # same id, other collection: another document
    assert len(tx) == 2
    with pytest.raises(ValueError):
        Transaction(client=None, request_id="")
    with pytest.raises(ValueError):
        tx.to_proto(request_id="")


def test_request_id_is_a_fresh_uuid4_per_transaction_and_overridable() -> None:
    a, b = Transaction(client=None), Transaction(client=None)
    assert a.request_id != b.request_id
    assert uuid.UUID(a.request_id).version == 4
    a.set("c", "x", {})
    assert a.to_proto().request_id == a.request_id
    assert a.to_proto(request_id="mine").request_id == "mine"
    guard = LockGuard("job", 7)
    assert Transaction(client=None, lock_guard=guard).to_proto().lock_guard.fencing_token == 7
    assert a.to_proto(lock_guard=LockGuard("other", 9)).lock_guard.name == "other"


# -- PreconditionFailure decoding -------------------------------------------------


def test_precondition_failed_status_decodes_violations() -> None:
    trailer = status_bin(*precondition_failed(PreconditionViolation("ETAG", "writes[0]", "acc/a has etag x, not y"),
                                              PreconditionViolation("NOT_EXISTS", "writes[12]", "cfg/k exists")))
    err = error_from_status(grpc.StatusCode.ABORTED, "2 failed", [("grpc-status-details-bin", trailer)])
    assert isinstance(err, PreconditionFailedError) and isinstance(err, AbortedError)
    assert (err.code, err.reason) == (grpc.StatusCode.ABORTED, Reason.PRECONDITION_FAILED)
    assert not err.is_etag_mismatch
    assert err.precondition_failures == [PreconditionViolation("ETAG", "writes[0]", "acc/a has etag x, not y"),
                                         PreconditionViolation("NOT_EXISTS", "writes[12]", "cfg/k exists")]
    assert [v.write_index for v in err.precondition_failures] == [0, 12]
    t, subject, description = err.precondition_failures[1]
    assert (t, subject, description) == ("NOT_EXISTS", "writes[12]", "cfg/k exists")
    assert err.precondition_failures[0] == ("ETAG", "writes[0]", "acc/a has etag x, not y")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is PreconditionFailedError and back.precondition_failures == err.precondition_failures
    assert PreconditionViolation("ETAG", "doc").write_index is None


def test_status_proto_and_other_transaction_reasons() -> None:
    st = status_pb2.Status()
    st.ParseFromString(status_bin(*precondition_failed(PreconditionViolation("EXISTS", "writes[2]", "gone"))))
    err = error_from_status_proto(st)
    assert isinstance(err, PreconditionFailedError) and err.precondition_failures[0].write_index == 2
    busy = error_from_status(CONTENTION[0], CONTENTION[1], [("grpc-status-details-bin", status_bin(*CONTENTION))])
    assert isinstance(busy, TransactionContentionError) and busy.retry_delay == pytest.approx(0.05)
    assert busy.precondition_failures == []
    big = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "too big", [("grpc-status-details-bin", status_bin(
        grpc.StatusCode.INVALID_ARGUMENT, "too big", [error_info("TRANSACTION_TOO_LARGE", {"limit": "100"})]))])
    assert isinstance(big, InvalidArgumentError) and big.reason == Reason.TRANSACTION_TOO_LARGE
    assert Reason.REQUEST_ID_REUSED == "REQUEST_ID_REUSED"


# -- commit against the fake -----------------------------------------------------


def test_commit_sends_the_writes_and_decodes_the_result(scripted) -> None:  # type: ignore[no-untyped-def]
    svc, db = scripted()
    tx = db.transaction(lock_guard=LockGuard("job", 3))
    tx.set("acc", "a", {"bal": 5}, if_etag="e0").delete("acc", "b", if_exists=True).check("cfg", "k", if_exists=False)
    res = tx.commit()
    assert isinstance(res, CommitResult) and tx.committed and tx.result is res
    assert res.results == [TransactionWriteResult("acc", "a", "e0", 1), TransactionWriteResult("acc", "b", "", 0),
                           TransactionWriteResult("cfg", "k", "e2", 3)]
    assert [r.exists for r in res] == [True, False, True] and len(res) == 3 and res[1].id == "b"
    assert res.transaction_id == f"tx-{tx.request_id}"
    assert res.commit_time == datetime(2026, 1, 2, 3, 4, 5, 500_000, tzinfo=timezone.utc)
    sent = svc.requests["Commit"][0]
    assert sent.request_id == tx.request_id and uuid.UUID(sent.request_id).version == 4
    assert (sent.lock_guard.name, sent.lock_guard.fencing_token) == ("job", 3)
    assert [w.id for w in sent.writes] == ["a", "b", "k"] and sent.writes[0].precondition.etag == "e0"
    with pytest.raises(RuntimeError, match="already committed"):
        tx.set("acc", "z", {})
    # Committing the same transaction again sends the same request id (the server
    # answers it with the first response instead of writing twice).
    tx.commit(request_id=None)
    assert svc.requests["Commit"][1].request_id == tx.request_id
    db.transaction().set("c", "x", {}).commit(request_id="explicit-1")
    assert svc.requests["Commit"][2].request_id == "explicit-1"


def test_unavailable_is_retried_with_the_same_request_id(scripted) -> None:  # type: ignore[no-untyped-def]
    svc, db = scripted([UNAVAILABLE, UNAVAILABLE])
    res = db.transaction().set("c", "x", {"v": 1}).commit()
    rids = [r.request_id for r in svc.requests["Commit"]]
    assert len(rids) == 3 and len(set(rids)) == 1 and rids[0]
    assert res.transaction_id == f"tx-{rids[0]}"
    assert len(db.sleeps) == 2


def test_aborted_commit_is_not_retried_by_the_client(scripted) -> None:  # type: ignore[no-untyped-def]
    svc, db = scripted([precondition_failed(PreconditionViolation("ETAG", "writes[0]", "stale"))])
    tx = db.transaction().set("c", "x", {"v": 1}, if_etag="old")
    with pytest.raises(PreconditionFailedError) as info:
        tx.commit()
    assert info.value.precondition_failures == [PreconditionViolation("ETAG", "writes[0]", "stale")]
    assert svc.calls("Commit") == 1 and not tx.committed and tx.result is None
    tx.set("c", "y", {})  # still open after a failed commit


# -- run_transaction ----------------------------------------------------------------


def test_run_transaction_reruns_fn_on_precondition_failure_and_contention(scripted) -> None:  # type: ignore[no-untyped-def]
    svc, db = scripted([precondition_failed(PreconditionViolation("ETAG", "writes[0]", "stale")), CONTENTION])
    seen: List[Transaction] = []

    def fn(tx: Transaction) -> str:
        seen.append(tx)
        tx.set("c", "x", {"run": len(seen)}, if_etag=f"e{len(seen)}")
        return f"value-{len(seen)}"

    assert db.run_transaction(fn) == "value-3"
    assert svc.calls("Commit") == 3 and len(seen) == 3
    assert len({tx.request_id for tx in seen}) == 3  # each run is a new transaction
    assert [r.writes[0].set.data["run"] for r in svc.requests["Commit"]] == [1, 2, 3]
    assert len(db.sleeps) == 2 and db.sleeps[1] >= 0.05  # the server's RetryInfo delay is honoured
    assert seen[2].committed and not seen[0].committed


def test_run_transaction_gives_up_after_max_attempts(scripted) -> None:  # type: ignore[no-untyped-def]
    svc, db = scripted([CONTENTION] * 5)
    with pytest.raises(TransactionContentionError):
        db.run_transaction(lambda tx: tx.check("c", "x", if_exists=True), max_attempts=3)
    assert svc.calls("Commit") == 3
    with pytest.raises(ValueError):
        db.run_transaction(lambda tx: None, max_attempts=0)


def test_run_transaction_does_not_retry_other_errors(scripted) -> None:  # type: ignore[no-untyped-def]
    bad = (grpc.StatusCode.INVALID_ARGUMENT, "bad", [error_info("INVALID_ID", {"field": "writes[0].id"})])
    held = (grpc.StatusCode.ABORTED, "held", [error_info("LOCK_HELD")])
    svc, db = scripted([bad, held])
    with pytest.raises(InvalidArgumentError):
        db.run_transaction(lambda tx: tx.set("c", "", {}))
    with pytest.raises(LockHeldError):
        db.run_transaction(lambda tx: tx.set("c", "x", {}))
    assert svc.calls("Commit") == 2

    def boom(tx: Transaction) -> None:
        raise KeyError("from fn")

    with pytest.raises(KeyError):
        db.run_transaction(boom)
    assert svc.calls("Commit") == 2 and db.sleeps == []


def test_run_transaction_lets_fn_commit_and_skips_empty_transactions(scripted) -> None:  # type: ignore[no-untyped-def]
    svc, db = scripted()
    res = db.run_transaction(lambda tx: tx.set("c", "x", {}).commit())
    assert isinstance(res, CommitResult) and svc.calls("Commit") == 1  # not committed twice
    assert db.run_transaction(lambda tx: 42) == 42
    assert svc.calls("Commit") == 1
    db.run_transaction(lambda tx: tx.set("c", "y", {}), lock_guard=LockGuard("g", 5))
    assert svc.requests["Commit"][1].lock_guard.fencing_token == 5


def test_commit_error_from_a_real_abort_is_typed(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    class Unavailable(ScriptedService):
        def Commit(self, request, context):  # type: ignore[no-untyped-def]
            abort(context, *UNAVAILABLE)

    svc = Unavailable()
    with Client(fake_server_factory(svc).address, timeout=5, retries=RetryPolicy.disabled()) as db:
        with pytest.raises(UnavailableError) as info:
            db.transaction().set("c", "x", {}).commit()
    assert isinstance(info.value, SmarterBaseError) and info.value.reason == "BACKEND_UNAVAILABLE"
