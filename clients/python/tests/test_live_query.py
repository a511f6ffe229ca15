"""Queries and index administration against a live server (QueryService, AdminService)."""
from __future__ import annotations

import uuid

import grpc
import pytest

from smarterbase_client import (
    Client,
    IndexNotFoundError,
    IndexRequiredError,
    InvalidFilterError,
    SmarterBaseError,
    filters as f,
)


@pytest.fixture()
def qclient(client: Client) -> Client:
    """The live client, after checking that the server answers QueryService."""
    client.count(f"py-probe-{uuid.uuid4().hex[:8]}")
    return client


@pytest.fixture()
def ten(qclient: Client, collection: str) -> str:
    """A collection with an ordered index on n and documents n = 1..10."""
    qclient.create_index(collection, "by_n", ["n"], "ordered")
    assert qclient.wait_for_index_ready(collection, "by_n", poll_interval=0.05, timeout=15).state == "ready"
    for n in range(1, 11):
        qclient.put(collection, f"d{n:02d}", {"n": n, "parity": "even" if n % 2 == 0 else "odd"})
    return collection


def ns(stream) -> list:
    return [d.data["n"] for d in stream]


def test_order_offset_limit_and_resume(qclient: Client, ten: str) -> None:
    stream = qclient.query(ten, order_by=["n"], offset=3, limit=3)
    assert ns(stream) == [4, 5, 6] and stream.done
    first = qclient.query(ten, order_by=["n"])
    token = ""
    for d in first:
        if d.data["n"] == 5:
            token = first.resume_token
            break
    assert ns(qclient.query(ten, order_by=["n"], start_after=token, limit=2)) == [6, 7]


def test_expression_and_typed_filters(qclient: Client, ten: str) -> None:
    assert ns(qclient.query(ten, filter_expression="n >= 8", order_by=["n"])) == [8, 9, 10]
    assert ns(qclient.query(ten, filter_expression='parity = "even" AND n < 5', order_by=[f.desc("n")])) == [4, 2]
    assert ns(qclient.query(ten, filter=f.and_(f.gte("n", 2), f.lt("n", 4)), order_by=["n"])) == [2, 3]


def test_count_and_explain(qclient: Client, ten: str) -> None:
    assert qclient.count(ten, filter_expression="n > 5").count == 5
    assert qclient.count(ten).count == 10
    plan = qclient.explain(ten, filter=f.gte("n", 7), order_by=["n"], limit=2)
    assert "by_n" in plan.indexes_used and not plan.scan


def test_invalid_filter_and_index_required(qclient: Client, ten: str) -> None:
    with pytest.raises(InvalidFilterError) as info:
        qclient.query(ten, filter_expression="n >").to_list()
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and info.value.position is not None
    with pytest.raises(IndexRequiredError) as req:
        qclient.query(ten, filter=f.eq("parity", "odd"), require_index=True).to_list()
    assert req.value.code == grpc.StatusCode.FAILED_PRECONDITION


def test_index_admin(qclient: Client, collection: str) -> None:
    qclient.create_index(collection, "by_s", ["s"], "equality")
    assert [(i.name, i.kind, i.fields) for i in qclient.list_indexes(collection)] == [("by_s", "equality", ["s"])]
    qclient.drop_index(collection, "by_s")
    with pytest.raises(IndexNotFoundError):
        qclient.get_index(collection, "by_s")
