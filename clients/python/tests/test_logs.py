"""Client.logs.append against a real gRPC server on 127.0.0.1 running a fake LogService:
the lines sent (JSON text as is, values encoded), the request id, and the errors."""
from __future__ import annotations

import grpc
import pytest

from smarterbase_client import AppendResult, InvalidArgumentError, RetryPolicy

from log_fake import start_log  # noqa: F401 (a fixture)


def test_append_sends_the_lines_with_a_request_id_and_returns_the_sequences(start_log) -> None:
    fake, db = start_log()
    db.logs.append("audit", ['{"a":1}'])
    res = db.logs.append("audit", ['"s"', {"b": [1, 2], "é": "ü"}, 3, None, True, b'{"raw":1}'], request_id="r1")
    assert res == AppendResult(first_sequence=2, last_sequence=7, deduplicated=False, request_id="r1")
    assert list(fake.appends[1].lines) == ['"s"', '{"b":[1,2],"é":"ü"}', "3", "null", "true", '{"raw":1}']
    assert len(fake.appends[0].request_id) == 36
    again = db.logs.append("audit", ['"s"', {"b": [1, 2], "é": "ü"}, 3, None, True, b'{"raw":1}'], request_id="r1")
    assert (again.first_sequence, again.deduplicated) == (2, True)


def test_append_raises_invalid_log_line_and_refuses_what_json_cannot_hold(start_log) -> None:
    fake, db = start_log()
    with pytest.raises(InvalidArgumentError) as info:
        db.logs.append("audit", ["1", '"BAD"'])
    assert (info.value.reason, info.value.field) == ("INVALID_LOG_LINE", "lines[1]")
    with pytest.raises(ValueError):
        db.logs.append("audit", [float("nan")])
    with pytest.raises(TypeError):
        db.logs.append("audit", [object()])
    assert fake.lines == []


def test_append_keeps_its_request_id_across_the_client_retry(start_log) -> None:
    down = ("store_then_error", (grpc.StatusCode.UNAVAILABLE, "down", []))
    fake, db = start_log([down], retries=RetryPolicy(initial_backoff=0.001, max_backoff=0.002))
    res = db.logs.append("audit", ['"x"'])
    assert (res.first_sequence, res.deduplicated) == (1, True)
    assert [a.request_id for a in fake.appends] == [res.request_id, res.request_id]
    assert fake.lines == ['"x"']
