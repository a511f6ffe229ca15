"""Unit tests of queries, filters and index administration against in-process fakes."""
from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Iterator, List

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2

from smarterbase_client import (
    AlreadyExistsError,
    Client,
    IndexBuildError,
    IndexNotFoundError,
    IndexRequiredError,
    InvalidFilterError,
    NotFoundError,
    Reason,
    RetryPolicy,
    UniqueViolationError,
    code_is,
    error_from_status,
    filters as f,
)
from smarterbase_client._stubs import admin_service_pb2 as admin_pb
from smarterbase_client._stubs import admin_service_pb2_grpc as admin_grpc
from smarterbase_client._stubs import common_pb2, document_pb2, index_pb2
from smarterbase_client._stubs import query_service_pb2 as qpb
from smarterbase_client._stubs import query_service_pb2_grpc as qgrpc

from fakes import abort, error_info, status_bin


class FakeQuery(qgrpc.QueryServiceServicer):
    def __init__(self) -> None:
        self.requests: List[qpb.QueryRequest] = []
        self.unavailable_first = 0
        self.cancelled = threading.Event()

    def Query(self, request, context):  # noqa: N802
        self.requests.append(request)
        if self.unavailable_first > 0:
            self.unavailable_first -= 1
            abort(context, grpc.StatusCode.UNAVAILABLE, "try again", [error_info("BACKEND_UNAVAILABLE")])
        if request.filter_expression == "n >":
            abort(context, grpc.StatusCode.INVALID_ARGUMENT, "expected a value", [
                error_info("INVALID_FILTER", {"field": "filter_expression", "position": "3"}),
                error_details_pb2.BadRequest(field_violations=[error_details_pb2.BadRequest.FieldViolation(
                    field="filter_expression", description="expected a value")])])
        n = 1 << 30 if request.collection == "endless" else 3
        if request.collection == "endless":
            # Runs when the RPC terminates; an endless stream terminates only by cancellation.
            context.add_callback(self.cancelled.set)
        for i in range(1, n + 1):
            if request.collection == "endless":
                if not context.is_active():
                    return
                time.sleep(0.002)
            doc = document_pb2.Document(collection=request.collection, id=f"d{i}")
            doc.data.update({"n": i})
            yield qpb.QueryResponse(document=doc, resume_token=f"t{i}", skipped_results=i - 1)
        yield qpb.QueryResponse(done=True, resume_token="t3", skipped_results=7)

    def Count(self, request, context):  # noqa: N802
        if request.require_index:
            abort(context, grpc.StatusCode.FAILED_PRECONDITION, "no index", [error_info("INDEX_REQUIRED")])
        return qpb.CountResponse(count=42, storage_requests=0)

    def Explain(self, request, context):  # noqa: N802
        res = qpb.ExplainResponse()
        res.plan.indexes_used.append("by_n")
        res.plan.candidate_count = 9
        res.plan.sorted_by_index = True
        res.plan.description = request.filter_expression
        return res


class FakeAdmin(admin_grpc.AdminServiceServicer):
    def __init__(self) -> None:
        self.polls = 0

    def CreateIndex(self, request, context):  # noqa: N802
        i = index_pb2.Index()
        i.CopyFrom(request.index)
        i.state = index_pb2.INDEX_STATE_BUILDING
        i.create_time.FromSeconds(5)
        return admin_pb.CreateIndexResponse(index=i)

    def GetIndex(self, request, context):  # noqa: N802
        if request.name == "missing":
            abort(context, grpc.StatusCode.NOT_FOUND, "no index", [error_info("INDEX_NOT_FOUND", {"index": "missing"})])
        state = index_pb2.INDEX_STATE_BUILDING
        if request.name == "bad":
            state = index_pb2.INDEX_STATE_FAILED
        elif request.name != "never":
            self.polls += 1
            if self.polls >= 3:
                state = index_pb2.INDEX_STATE_READY
        return admin_pb.GetIndexResponse(index=index_pb2.Index(
            collection=request.collection, name=request.name, fields=["n"], kind=index_pb2.INDEX_KIND_ORDERED,
            state=state, documents_scanned=10, error="duplicate values" if request.name == "bad" else ""))

    def ListIndexes(self, request, context):  # noqa: N802
        return admin_pb.ListIndexesResponse(indexes=[index_pb2.Index(
            collection=request.collection, name="a", fields=["x", "y"], kind=index_pb2.INDEX_KIND_EQUALITY,
            state=index_pb2.INDEX_STATE_READY)])

    def DropIndex(self, request, context):  # noqa: N802
        return admin_pb.DropIndexResponse()


@pytest.fixture()
def fake() -> Iterator[tuple]:
    q, a = FakeQuery(), FakeAdmin()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    qgrpc.add_QueryServiceServicer_to_server(q, server)
    admin_grpc.add_AdminServiceServicer_to_server(a, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    client = Client(f"127.0.0.1:{port}", timeout=10.0,
                    retries=RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.005))
    yield q, a, client
    client.close()
    server.stop(grace=None)


def test_reason_members_match_the_proto_enum() -> None:
    proto = {n.removeprefix("ERROR_REASON_") for n in common_pb2.ErrorReason.keys()} - {"UNSPECIFIED"}
    assert {r.value for r in Reason} == proto
    assert Reason.INVALID_FILTER == "INVALID_FILTER"


def test_reason_specific_error_classes() -> None:
    def err(code: grpc.StatusCode, reason: str, md: dict = {}):  # noqa: B006
        return error_from_status(code, "m", [("grpc-status-details-bin", status_bin(code, "m", [error_info(reason, md)]))])
    e = err(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FILTER", {"position": "7"})
    assert isinstance(e, InvalidFilterError) and e.position == 7 and e.is_invalid_argument
    assert err(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FILTER").position is None
    missing_index = err(grpc.StatusCode.NOT_FOUND, "INDEX_NOT_FOUND")
    # Reason-based (docs/clients.md): a missing index is not a missing document.
    assert isinstance(missing_index, IndexNotFoundError) and not isinstance(missing_index, NotFoundError)
    assert code_is(missing_index, grpc.StatusCode.NOT_FOUND) and not missing_index.is_not_found
    u = err(grpc.StatusCode.ALREADY_EXISTS, "UNIQUE_VIOLATION", {"conflictingId": "x"})
    assert isinstance(u, UniqueViolationError) and code_is(u, grpc.StatusCode.ALREADY_EXISTS) and u.metadata["conflictingId"] == "x"
    assert not u.is_already_exists and not isinstance(u, AlreadyExistsError)
    assert isinstance(err(grpc.StatusCode.FAILED_PRECONDITION, "INDEX_REQUIRED"), IndexRequiredError)


def test_filter_builders_produce_the_proto_tree() -> None:
    tree = f.and_(f.eq("status", "active"), f.gte("age", 21), f.or_(f.in_("role", ["a", 1]), f.not_(f.exists("deleted"))),
                  f.not_in("x", [None]))
    assert json_format.MessageToDict(tree) == {"compositeFilter": {"op": "OPERATOR_AND", "filters": [
        {"fieldFilter": {"field": "status", "op": "OPERATOR_EQ", "value": "active"}},
        {"fieldFilter": {"field": "age", "op": "OPERATOR_GTE", "value": 21.0}},
        {"compositeFilter": {"op": "OPERATOR_OR", "filters": [
            {"fieldFilter": {"field": "role", "op": "OPERATOR_IN", "value": ["a", 1.0]}},
            {"notFilter": {"filter": {"fieldFilter": {"field": "deleted", "op": "OPERATOR_EXISTS", "value": True}}}}]}},
        {"fieldFilter": {"field": "x", "op": "OPERATOR_NOT_IN", "value": [None]}}]}}
    ops = [json_format.MessageToDict(x)["fieldFilter"] for x in [
        f.ne("a", 1), f.lt("a", 1), f.lte("a", "b"), f.gt("a", 2), f.contains("s", "x"),
        f.array_contains("t", {"k": 1}), f.starts_with("s", "p"), f.exists("e", False)]]
    assert [(o["op"], o["value"]) for o in ops] == [
        ("OPERATOR_NE", 1.0), ("OPERATOR_LT", 1.0), ("OPERATOR_LTE", "b"), ("OPERATOR_GT", 2.0), ("OPERATOR_CONTAINS", "x"),
        ("OPERATOR_ARRAY_CONTAINS", {"k": 1.0}), ("OPERATOR_STARTS_WITH", "p"), ("OPERATOR_EXISTS", False)]
    with pytest.raises(TypeError):
        f.eq("a", object())
    assert [(o.field, o.direction) for o in f.order_by_proto(["n", f.desc("m")])] == [("n", 1), ("m", 2)]


def test_query_streams_documents_and_sends_every_option(fake) -> None:
    q, _, client = fake
    stream = client.query("c", filter=f.eq("s", "a"), order_by=["n", f.desc("m")], limit=3, offset=2,
                          start_after="tok", projection=["n"], require_index=True)
    assert q.requests == []  # lazy
    got = []
    for doc in stream:
        got.append(doc.data["n"])
        assert stream.resume_token == f"t{doc.data['n']}"
    assert got == [1, 2, 3]
    assert (stream.done, stream.skipped_results, stream.resume_token) == (True, 7, "t3")
    r = q.requests[0]
    assert (r.collection, r.limit, r.offset, r.start_after, list(r.projection.field_paths), r.require_index) == (
        "c", 3, 2, "tok", ["n"], True)
    assert [(o.field, o.direction) for o in r.order_by] == [("n", 1), ("m", 2)]
    assert r.filter.field_filter.field == "s" and r.filter_expression == ""
    with pytest.raises(RuntimeError):
        stream.to_list()


def test_query_errors_retry_and_cancel(fake) -> None:
    q, _, client = fake
    with pytest.raises(InvalidFilterError) as info:
        client.query("c", filter_expression="n >").to_list()
    assert info.value.position == 3 and info.value.field == "filter_expression"
    assert not q.requests[0].HasField("filter")
    q.unavailable_first = 2
    assert [d.id for d in client.query("c")] == ["d1", "d2", "d3"]  # retried before the first message
    n = 0
    with client.query("endless") as stream:
        for _ in stream:
            n += 1
            if n == 5:
                break
    assert q.cancelled.wait(30), "closing the stream must cancel the server call"
    with pytest.raises(IndexRequiredError):
        client.count("c", require_index=True)


def test_count_explain_and_admin(fake) -> None:
    _, a, client = fake
    assert client.count("c", filter_expression="n > 1").count == 42
    plan = client.explain("c", filter_expression="n > 1", order_by=["n"])
    assert (plan.indexes_used, plan.candidate_count, plan.sorted_by_index, plan.description) == (["by_n"], 9, True, "n > 1")
    created = client.create_index("c", "by_n", ["n"], "ordered")
    assert (created.name, created.kind, created.state, created.create_time.timestamp()) == ("by_n", "ordered", "building", 5)
    assert created.hash_values is False
    assert client.create_index("c", "by_e", ["e"], "unique", hash_values=True).hash_values is True
    with pytest.raises(ValueError):
        client.create_index("c", "x", ["n"], "bogus")
    client._sleep = lambda s: None
    ready = client.wait_for_index_ready("c", "by_n", poll_interval=0.001)
    assert ready.state == "ready" and a.polls == 3 and ready.documents_scanned == 10
    with pytest.raises(IndexBuildError) as failed:
        client.wait_for_index_ready("c", "bad")
    assert failed.value.index.error == "duplicate values"
    client._sleep = time.sleep
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.wait_for_index_ready("c", "never", poll_interval=0.01, timeout=0.05)
    assert time.monotonic() - started < 2
    with pytest.raises(IndexNotFoundError):
        client.get_index("c", "missing")
    assert [(i.name, i.kind, i.fields) for i in client.list_indexes("c")] == [("a", "equality", ["x", "y"])]
    client.drop_index("c", "a")
