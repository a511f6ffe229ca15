"""Client.logs.read against a real gRPC server on 127.0.0.1 running a scripted fake
LogService behind a TCP proxy: resume from the last sequence + 1 after UNAVAILABLE or a cut
connection (never a duplicate or a gap), follow vs not, from_end, SEQUENCE_TRIMMED, a gap,
and cancellation seen by the server."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import List

import grpc
import pytest

from smarterbase_client import LogEntry, SequenceTrimmedError, SmarterBaseError, UnavailableError

from fakes import error_info
from log_fake import FAST, entries, start_log  # noqa: F401 (start_log is a fixture)


def fail(code: grpc.StatusCode, reason: str, metadata=None):
    return ("error", (code, reason.lower(), [error_info(reason, metadata)]))


def take(stream, n: int, on_entry=None) -> List[int]:
    out: List[int] = []
    for e in stream:
        out.append(e.sequence)
        if on_entry is not None:
            on_entry(e)
        if len(out) == n:
            break
    return out


def wait_for(cond) -> None:
    for _ in range(1000):  # a 10 s hang guard, not a timing assertion
        if cond():
            return
        time.sleep(0.01)
    assert cond()


def test_after_unavailable_the_read_resumes_from_last_plus_one_without_duplicates(start_log) -> None:
    fake, db = start_log(read_scripts=[
        [entries(1, 2), entries(3), fail(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")],
        [entries(3, 4), entries(5, tail=9)],  # a resumed call that resends an old entry first
    ])
    stream = db.logs.read("audit", follow=True, backoff=FAST)
    got: List[LogEntry] = []
    assert take(stream, 5, got.append) == [1, 2, 3, 4, 5]
    assert got[0] == LogEntry(1, '{"n":1}', datetime.fromtimestamp(1_700_000_000, timezone.utc))
    assert fake.from_sequences() == [0, 4]
    assert [r.follow for r in fake.reads] == [True, True]
    assert (stream.last_sequence, stream.tail_sequence, stream.resumes) == (5, 9, 1)


def test_a_cut_connection_is_resumed_without_a_gap(start_log) -> None:
    got8 = threading.Event()
    fake, db = start_log(read_scripts=[[entries(7, 8), ("drop", got8)], [entries(9)]])
    stream = db.logs.read("audit", from_sequence=7, follow=True, backoff=FAST)
    assert take(stream, 3, lambda e: e.sequence == 8 and got8.set()) == [7, 8, 9]
    assert fake.from_sequences() == [7, 9]


def test_without_follow_the_read_ends_with_the_stream_and_with_follow_it_resumes(start_log) -> None:
    fake, db = start_log(read_scripts=[[entries(1, 2), ("end", None)], [entries(1), ("end", None)], [entries(2)]])
    assert [e.sequence for e in db.logs.read("audit", backoff=FAST)] == [1, 2]
    assert take(db.logs.read("audit", follow=True, backoff=FAST), 2) == [1, 2]
    assert fake.from_sequences() == [0, 0, 2]


def test_from_end_resumes_after_the_tail_the_first_call_reported(start_log) -> None:
    fake, db = start_log(read_scripts=[
        [entries(tail=41), fail(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")], [entries(42)]])
    assert take(db.logs.read("audit", from_end=True, follow=True, progress_interval=0.25, backoff=FAST), 1) == [42]
    assert [(r.from_sequence, r.from_end) for r in fake.reads] == [(0, True), (42, False)]
    assert fake.reads[0].progress_interval.ToMilliseconds() == 250


def test_sequence_trimmed_is_raised_without_resuming(start_log) -> None:
    trimmed = fail(grpc.StatusCode.OUT_OF_RANGE, "SEQUENCE_TRIMMED",
                   {"log": "audit", "requestedSequence": "1", "oldestSequence": "100"})
    fake, db = start_log(read_scripts=[[trimmed]])
    with pytest.raises(SequenceTrimmedError) as info:
        take(db.logs.read("audit", from_sequence=1, follow=True, backoff=FAST), 1)
    assert (info.value.code, info.value.oldest_sequence, info.value.requested_sequence) == (
        grpc.StatusCode.OUT_OF_RANGE, 100, 1)
    assert len(fake.reads) == 1


def test_a_gap_in_what_the_server_sent_is_data_loss(start_log) -> None:
    _, db = start_log(read_scripts=[[entries(1, 2, 4)]])
    seen: List[int] = []
    with pytest.raises(SmarterBaseError) as info:
        take(db.logs.read("audit", follow=True, backoff=FAST), 10, lambda e: seen.append(e.sequence))
    assert info.value.code == grpc.StatusCode.DATA_LOSS and seen == [1, 2]


def test_leaving_the_loop_or_close_ends_the_call_on_the_server(start_log) -> None:
    fake, db = start_log(read_scripts=[[entries(1)], [entries(1)]])
    assert take(db.logs.read("audit", follow=True), 1) == [1]
    wait_for(lambda: fake.cancelled == 1)
    with db.logs.read("audit", follow=True) as stream:
        seen: List[int] = []
        reader = threading.Thread(target=lambda: seen.extend(e.sequence for e in stream))
        reader.start()
        wait_for(lambda: seen == [1])
        stream.close()
        reader.join(10)
        assert not reader.is_alive()
    wait_for(lambda: fake.cancelled == 2)
    assert len(fake.reads) == 2


def test_without_follow_the_read_gives_up_after_max_attempts(start_log) -> None:
    down = fail(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")
    fake, db = start_log(read_scripts=[[down], [down]])
    with pytest.raises(UnavailableError):
        list(db.logs.read("audit", backoff=FAST, max_attempts=2))
    assert len(fake.reads) == 2
