"""Batch calls without a server: item builders, per-item status decoding, and the
calls against an in-process fake DocumentService."""
from __future__ import annotations

from typing import List

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from fakes import error_info
from smarterbase_client import (
    AlreadyExistsError,
    BatchExistsItem,
    Client,
    DeleteItem,
    EtagMismatchError,
    PutItem,
    SmarterBaseError,
    batch,
    error_from_status_proto,
)
from smarterbase_client._stubs import document_pb2
from smarterbase_client._stubs import document_service_pb2 as pb
from smarterbase_client._stubs import document_service_pb2_grpc as pb_grpc
from smarterbase_client.document import to_struct


def item_status(code: grpc.StatusCode, message: str, details: List[Message]) -> status_pb2.Status:
    packed = []
    for d in details:
        a = any_pb2.Any()
        a.Pack(d)
        packed.append(a)
    return status_pb2.Status(code=code.value[0], message=message, details=packed)


def test_put_and_delete_builders() -> None:
    assert batch.put("a", {"x": 1}) == PutItem("a", {"x": 1}, False, "")
    assert batch.put("a", {}, create_only=True).create_only is True
    assert batch.put("a", {}, etag="e1").etag == "e1"
    assert batch.delete("b") == DeleteItem("b", "")
    assert batch.delete("b", etag="e9").etag == "e9"
    with pytest.raises(ValueError):
        batch.put("a", {}, create_only=True, etag="e1")


def test_builders_map_onto_the_oneof() -> None:
    p = batch.put("a", {"x": 1}, create_only=True).to_proto()
    assert p.WhichOneof("operation") == "put"
    assert (p.put.id, p.put.create_only, p.put.etag, p.put.data["x"]) == ("a", True, "", 1)
    d = batch.delete("b", etag="e").to_proto()
    assert d.WhichOneof("operation") == "delete"
    assert (d.delete.id, d.delete.etag) == ("b", "e")


def test_status_proto_decodes_like_a_failed_call() -> None:
    assert error_from_status_proto(status_pb2.Status(code=0)) is None
    st = item_status(grpc.StatusCode.ABORTED, "etag is stale", [
        error_info("ETAG_MISMATCH", {"currentEtag": "e2", "expectedEtag": "e1"}),
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=250_000_000)),
    ])
    err = error_from_status_proto(st)
    assert isinstance(err, EtagMismatchError)
    assert (err.code, err.reason, err.domain) == (grpc.StatusCode.ABORTED, "ETAG_MISMATCH", "smarterbase.v1")
    assert (err.current_etag, err.expected_etag) == ("e2", "e1")
    assert err.retry_delay == pytest.approx(0.25)
    assert err.message == "etag is stale"
    exists = error_from_status_proto(item_status(grpc.StatusCode.ALREADY_EXISTS, "taken",
                                                 [error_info("DOCUMENT_ALREADY_EXISTS")]))
    assert isinstance(exists, AlreadyExistsError) and exists.reason == "DOCUMENT_ALREADY_EXISTS"
    bare = error_from_status_proto(status_pb2.Status(code=13, message="boom"))
    assert type(bare) is SmarterBaseError and bare.code == grpc.StatusCode.INTERNAL and bare.reason == ""
    unknown = error_from_status_proto(status_pb2.Status(code=99, message="?"))
    assert unknown is not None and unknown.code == grpc.StatusCode.UNKNOWN


class BatchFake(pb_grpc.DocumentServiceServicer):
    def __init__(self) -> None:
        self.write_req: pb.BatchWriteRequest = pb.BatchWriteRequest()
        self.delete_req: pb.BatchDeleteRequest = pb.BatchDeleteRequest()

    def BatchWrite(self, request, context):  # type: ignore[no-untyped-def]
        self.write_req = request
        doc = document_pb2.Document(collection=request.collection, id="a", data=to_struct({"x": 1}), etag="ea", version=1)
        return pb.BatchWriteResponse(results=[
            pb.BatchWriteResult(id="a", status=status_pb2.Status(code=0), document=doc),
            pb.BatchWriteResult(id="b", status=item_status(grpc.StatusCode.ALREADY_EXISTS, "taken",
                                                            [error_info("DOCUMENT_ALREADY_EXISTS", {"id": "b"})])),
            pb.BatchWriteResult(id="c", deleted=True),  # status left unset: OK
        ])

    def BatchExists(self, request, context):  # type: ignore[no-untyped-def]
        return pb.BatchExistsResponse(results=[
            pb.BatchExistsResult(id=i, exists=i != "missing", etag="" if i == "missing" else f"e-{i}")
            for i in request.ids])

    def BatchDelete(self, request, context):  # type: ignore[no-untyped-def]
        self.delete_req = request
        return pb.BatchDeleteResponse(results=[
            pb.BatchWriteResult(id="a", status=status_pb2.Status(code=0), deleted=True),
            pb.BatchWriteResult(id="b", status=item_status(grpc.StatusCode.ABORTED, "stale",
                                                            [error_info("ETAG_MISMATCH", {"currentEtag": "now"})])),
        ])


def test_batch_calls_against_a_fake(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    fake = BatchFake()
    srv = fake_server_factory(fake)
    with Client(srv.address, timeout=5) as db:
        res = db.batch_write("c", [batch.put("a", {"x": 1}), batch.put("b", {}, create_only=True), batch.delete("c")])
        assert [(w.WhichOneof("operation"), getattr(w, w.WhichOneof("operation")).id) for w in fake.write_req.writes] == [
            ("put", "a"), ("put", "b"), ("delete", "c")]
        assert [(r.id, r.ok) for r in res] == [("a", True), ("b", False), ("c", True)]
        assert res[0].document is not None and res[0].document.data == {"x": 1} and res[0].document.etag == "ea"
        assert isinstance(res[1].error, AlreadyExistsError) and res[1].error.metadata == {"id": "b"}
        assert res[1].document is None
        with pytest.raises(AlreadyExistsError):
            res[1].raise_for_error()
        assert res[2].deleted is True and res[2].raise_for_error() is res[2]

        assert db.batch_exists("c", ["x", "missing", "y"]) == [
            BatchExistsItem("x", True, "e-x"), BatchExistsItem("missing", False, ""), BatchExistsItem("y", True, "e-y")]

        dres = db.batch_delete("c", ["a", batch.delete("b", etag="old")])
        assert [(i.id, i.etag) for i in fake.delete_req.items] == [("a", ""), ("b", "old")]
        assert (dres[0].ok, dres[0].deleted) == (True, True)
        assert isinstance(dres[1].error, EtagMismatchError) and dres[1].error.current_etag == "now"
        assert dres[1].deleted is False

        with pytest.raises(TypeError):
            db.batch_delete("c", [batch.put("a", {})])  # type: ignore[list-item]
        with pytest.raises(TypeError):
            db.batch_write("c", ["a"])  # type: ignore[list-item]
