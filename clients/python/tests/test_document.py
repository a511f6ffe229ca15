"""Unit tests of the JSON ⇄ Struct and Document conversions (no server)."""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timezone

import pytest
from google.protobuf import struct_pb2

from smarterbase_client.document import (
    MAX_SAFE_INTEGER,
    Document,
    document_from_proto,
    from_struct,
    to_struct,
)
from smarterbase_client._stubs import document_pb2

SAMPLE = {
    "name": "Zoë 🚀 名前",
    "n": 42,
    "neg": -7,
    "pi": 3.25,
    "ok": True,
    "no": False,
    "nothing": None,
    "list": [1, "two", None, [3.5, {"deep": True}]],
    "nested": {"a": {"b": {"c": []}}, "empty": {}},
}


def test_round_trip_preserves_json_values_and_types() -> None:
    back = from_struct(to_struct(SAMPLE))
    assert back == SAMPLE
    assert type(back["n"]) is int and type(back["pi"]) is float
    assert type(back["ok"]) is bool
    assert back["nested"]["a"]["b"]["c"] == []


def test_integral_doubles_come_back_as_int_within_2_pow_53() -> None:
    s = struct_pb2.Struct()
    s.update({"a": 2.0, "b": float(MAX_SAFE_INTEGER), "c": float(2**60), "d": 0.5})
    back = from_struct(s)
    assert back["a"] == 2 and type(back["a"]) is int
    assert type(back["b"]) is int
    assert type(back["c"]) is float
    assert back["d"] == 0.5


def test_non_dict_mappings_and_tuples_are_accepted() -> None:
    back = from_struct(to_struct(OrderedDict([("t", (1, 2)), ("m", OrderedDict(x=1))])))
    assert back == {"t": [1, 2], "m": {"x": 1}}


@pytest.mark.parametrize("bad, exc", [
    ({"big": 2**53 + 1}, ValueError),
    ({"nan": float("nan")}, ValueError),
    ({"inf": [float("inf")]}, ValueError),
    ({"obj": object()}, TypeError),
    ({"k": {1: "int key"}}, TypeError),
    ({"b": b"bytes"}, TypeError),
])
def test_values_json_cannot_carry_exactly_are_rejected(bad: dict, exc: type) -> None:
    with pytest.raises(exc):
        to_struct(bad)


def test_data_must_be_a_mapping() -> None:
    with pytest.raises(TypeError):
        to_struct([1, 2])  # type: ignore[arg-type]


def test_document_from_proto_converts_all_fields() -> None:
    msg = document_pb2.Document(collection="c", id="i", etag="e1", version=3, revision=1_764_000_000_000_123)
    msg.data.update({"x": 1})
    msg.create_time.FromDatetime(datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc))
    msg.update_time.FromDatetime(datetime(2026, 1, 3, tzinfo=timezone.utc))
    doc = document_from_proto(msg)
    assert doc == Document("c", "i", {"x": 1}, "e1", 3,
                           datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc),
                           datetime(2026, 1, 3, tzinfo=timezone.utc), 1_764_000_000_000_123)
    assert doc.create_time is not None and doc.create_time.tzinfo is not None


def test_keys_only_document_has_empty_metadata() -> None:
    doc = document_from_proto(document_pb2.Document(collection="c", id="i"))
    assert doc.data == {} and doc.etag == "" and doc.version == 0 and doc.revision == 0
    assert doc.create_time is None and doc.update_time is None
