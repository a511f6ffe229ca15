"""Logs against the live server (S3 + Redis in CI): appended lines read back byte for byte with dense
sequences, a retried request id is deduplicated, a bad line appends nothing, and an appender's 1,000
lines reach a follower started before them, in order."""
from __future__ import annotations

import threading
from typing import List

import pytest

from smarterbase_client import Client, SmarterBaseError


def test_append_read_deduplicate_and_refuse(client: Client, collection: str) -> None:
    log = collection
    lines = ['{"n":1}', "12345678901234567890", '"text"', '{"nested":{"a":[1,2,3]}}']
    first = client.logs.append(log, lines, request_id="rid-1")
    assert (first.first_sequence, first.last_sequence, first.deduplicated) == (1, 4, False)
    again = client.logs.append(log, lines, request_id="rid-1")
    assert (again.first_sequence, again.last_sequence, again.deduplicated) == (1, 4, True)
    with pytest.raises(SmarterBaseError) as bad:
        client.logs.append(log, ['{"ok":true}', "{not json"])
    assert bad.value.reason == "INVALID_LOG_LINE"
    entries = list(client.logs.read(log))
    assert [e.line for e in entries] == lines and [e.sequence for e in entries] == [1, 2, 3, 4]


def test_follower_sees_an_appenders_lines_in_order(client: Client, collection: str) -> None:
    log = collection
    client.logs.append(log, ['"start"'])
    n = 1000
    seen: List[int] = []
    lines: List[str] = []
    stream = client.logs.read(log, from_sequence=2, follow=True)

    def follow() -> None:
        for e in stream:
            seen.append(e.sequence)
            lines.append(e.line)
            if len(seen) == n:
                return

    t = threading.Thread(target=follow)
    t.start()
    appender = client.logs.appender(log, max_lines=100)
    futures = [appender.add({"i": i}) for i in range(n)]
    appender.close(timeout=60)
    assert [f.result(timeout=60) for f in futures] == list(range(2, n + 2))
    t.join(timeout=120)
    stream.close()
    assert seen == list(range(2, n + 2))
    assert lines[:2] == ['{"i":0}', '{"i":1}']
