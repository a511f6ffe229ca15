"""The nesting limit against a live server: a document exactly 32 levels deep
(the top-level object being level 1) is written and read back through every
read path this client has; one level deeper is INVALID_ARGUMENT /
DOCUMENT_TOO_DEEP. (The protobuf runtime's recursion limit, 100 message
levels at about 3 per JSON level, is what makes 32 the documented maximum.)"""
from __future__ import annotations

from typing import Any, Dict

import grpc
import pytest

from smarterbase_client import Client, InvalidArgumentError, Reason, batch

MAX_DEPTH = 32


def nest(levels: int) -> Dict[str, Any]:
    value: Dict[str, Any] = {"leaf": True}
    for _ in range(levels - 1):
        value = {"v": value}
    return value


def test_a_document_at_the_maximum_depth_reads_back_through_every_path(client: Client, collection: str) -> None:
    data = nest(MAX_DEPTH)
    assert client.put(collection, "max", data).data == data
    assert client.get(collection, "max").data == data
    assert [d.data for d in client.list_all(collection)] == [data]
    assert [item.document.data for item in client.batch_get(collection, ["max"]) if item.document] == [data]
    assert [d.data for d in client.query(collection)] == [data]
    written = client.batch_write(collection, [batch.put("max2", data)])
    assert written[0].ok and written[0].document is not None and written[0].document.data == data


def test_one_level_deeper_is_document_too_deep(client: Client, collection: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        client.put(collection, "deep", nest(MAX_DEPTH + 1))
    err = info.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and err.reason == Reason.DOCUMENT_TOO_DEEP
    assert err.metadata["maxDepth"] == str(MAX_DEPTH) and err.metadata["field"] == "data"
