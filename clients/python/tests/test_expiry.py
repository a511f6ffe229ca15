"""Expiry without a server: each write's ``expiry=`` reaches its request's
Expiration (none when omitted), documents carry ``expire_time``, and watch
changes tell EXPIRE from DELETE."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional, Tuple

import pytest
from google.protobuf import timestamp_pb2

from smarterbase_client import Client, Expiry, batch
from smarterbase_client._stubs import document_pb2, document_service_pb2 as pb, stream_service_pb2 as stream_pb
from smarterbase_client.document import document_from_proto
from smarterbase_client.watch import batch_from_proto

AT = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def _shape(e: Optional[document_pb2.Expiration]) -> Any:
    """The set oneof of an Expiration as a tuple; None when the request has none."""
    if e is None:
        return None
    kind = e.WhichOneof("expiration")
    if kind == "ttl":
        return ("ttl", e.ttl.seconds, e.ttl.nanos)
    if kind == "expire_time":
        return ("expire_time", e.expire_time.ToDatetime(tzinfo=timezone.utc))
    return (kind, getattr(e, kind) if kind else None)


def _doc(id: str, expire: Optional[datetime] = None) -> document_pb2.Document:
    d = document_pb2.Document(collection="c", id=id, etag="e1", version=1)
    if expire is not None:
        d.expire_time.FromDatetime(expire)
    return d


class RecordingStub:
    """Stands in for the DocumentService stub: records (op, Expiration) of every write."""

    def __init__(self) -> None:
        self.seen: List[Tuple[str, Any]] = []

    def _exp(self, op: str, msg: Any) -> None:
        self.seen.append((op, _shape(msg.expiration) if msg.HasField("expiration") else None))

    def Put(self, req: pb.PutRequest, timeout: Any = None) -> pb.PutResponse:
        self._exp("put", req)
        return pb.PutResponse(document=_doc(req.id))

    def PutIfMatch(self, req: pb.PutIfMatchRequest, timeout: Any = None) -> pb.PutIfMatchResponse:
        self._exp("put_if_match", req)
        return pb.PutIfMatchResponse(document=_doc(req.id))

    def Create(self, req: pb.CreateRequest, timeout: Any = None) -> pb.CreateResponse:
        self._exp("create", req)
        return pb.CreateResponse(document=_doc(req.id))

    def Get(self, req: pb.GetRequest, timeout: Any = None) -> pb.GetResponse:
        return pb.GetResponse(document=_doc(req.id, AT), read_revision=1)

    def BatchWrite(self, req: pb.BatchWriteRequest, timeout: Any = None) -> pb.BatchWriteResponse:
        for w in req.writes:
            self._exp("batch_put", w.put)
        return pb.BatchWriteResponse(results=[pb.BatchWriteResult(id=w.put.id, document=_doc(w.put.id))
                                              for w in req.writes])

    def Commit(self, req: pb.CommitRequest, timeout: Any = None) -> pb.CommitResponse:
        for w in req.writes:
            self._exp("set", w.set)
        ts = timestamp_pb2.Timestamp()
        ts.GetCurrentTime()
        return pb.CommitResponse(transaction_id="t", commit_time=ts)


@pytest.fixture()
def recorded() -> Tuple[Client, RecordingStub]:
    client = Client("127.0.0.1:1")
    stub = RecordingStub()
    client._stub = stub  # type: ignore[assignment]
    yield client, stub
    client.close()


def test_every_write_sends_its_expiry_and_none_when_omitted(recorded: Tuple[Client, RecordingStub]) -> None:
    db, stub = recorded
    db.put("c", "a", {"v": 1}, expiry=Expiry.after(1.5))
    db.put("c", "a", {"v": 1})
    db.put_if_match("c", "a", {"v": 2}, "e1", expiry=Expiry.at(AT))
    db.create("c", {"v": 3}, id="b", expiry=Expiry.never())
    db.update("c", "a", lambda d: d, expiry=Expiry.after(timedelta(seconds=3)))
    db.update("c", "a", lambda d: d)
    db.batch_write("c", [batch.put("a", {}, expiry=Expiry.after(4)), batch.put("b", {})])
    db.transaction().set("c", "a", {}, expiry=Expiry.never()).set("c", "b", {}, if_exists=True).commit()
    assert stub.seen == [
        ("put", ("ttl", 1, 500_000_000)),
        ("put", None),
        ("put_if_match", ("expire_time", AT)),
        ("create", ("never", True)),
        ("put_if_match", ("ttl", 3, 0)),
        ("put_if_match", None),
        ("batch_put", ("ttl", 4, 0)),
        ("batch_put", None),
        ("set", ("never", True)),
        ("set", None),
    ]


def test_expiry_must_be_an_expiry_of_one_kind() -> None:
    with pytest.raises(TypeError):
        batch.put("a", {}, expiry=3600).to_proto()  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Expiry().to_proto()


def test_documents_carry_expire_time(recorded: Tuple[Client, RecordingStub]) -> None:
    db, _ = recorded
    assert db.get("c", "a").expire_time == AT
    assert document_from_proto(_doc("x")).expire_time is None


def test_watch_changes_tell_expire_from_delete() -> None:
    msg = stream_pb.WatchResponse(revision=7, changes=stream_pb.ChangeBatch(events=[
        stream_pb.ChangeEvent(type=stream_pb.CHANGE_TYPE_PUT, id="a", revision=7, document=_doc("a", AT)),
        stream_pb.ChangeEvent(type=stream_pb.CHANGE_TYPE_EXPIRE, id="b", revision=8, previous_revision=5),
        stream_pb.ChangeEvent(type=stream_pb.CHANGE_TYPE_DELETE, id="c", revision=9),
        stream_pb.ChangeEvent(type=99, id="d", revision=10),
    ]))
    got = batch_from_proto(msg)
    assert got is not None
    assert [(c.type, c.id, c.document.expire_time if c.document else None) for c in got.changes] == [
        ("PUT", "a", AT), ("EXPIRE", "b", None), ("DELETE", "c", None), ("UNKNOWN", "d", None)]
