"""Client.logs.appender against a real gRPC server on 127.0.0.1 running a fake LogService:
batches form, add order holds with one call in flight, a batch is resent with the same
request id and lines after UNAVAILABLE or DEADLINE_EXCEEDED (exactly once), a refused batch
fails only its own futures, and close flushes."""
from __future__ import annotations

import grpc
import pytest

from smarterbase_client import AppenderClosedError, InvalidArgumentError, RetryPolicy, UnavailableError

from log_fake import FAST, start_log  # noqa: F401 (start_log is a fixture)

HANG_GUARD = 30  # seconds; a hang guard, not a timing assertion


def test_batches_form_and_each_future_resolves_to_its_sequence_in_add_order(start_log) -> None:
    fake, db = start_log()
    appender = db.logs.appender("audit", max_lines=100, max_delay=60)
    futures = [appender.add({"i": i}) for i in range(1000)]
    appender.close(HANG_GUARD)
    assert [f.result(HANG_GUARD) for f in futures] == list(range(1, 1001))
    assert [len(a.lines) for a in fake.appends] == [100] * 10
    assert fake.lines == [f'{{"i":{i}}}' for i in range(1000)]
    assert len({a.request_id for a in fake.appends}) == 10


def test_a_partial_batch_goes_after_max_delay_and_batches_split_by_bytes(start_log) -> None:
    fake, db = start_log()
    with db.logs.appender("audit", max_delay=0.005) as appender:
        assert [f.result(HANG_GUARD) for f in [appender.add(1), appender.add(2), appender.add(3)]] == [1, 2, 3]
        assert [list(a.lines) for a in fake.appends] == [["1", "2", "3"]]
    by_size = db.logs.appender("audit", max_bytes=10, max_delay=60)
    futures = [by_size.add(x) for x in ['"aaaa"', '"bbbb"', '"cccccccccccccccc"', '"d"']]
    by_size.flush(HANG_GUARD)
    assert [f.result() for f in futures] == [4, 5, 6, 7]
    assert [list(a.lines) for a in fake.appends[1:]] == [['"aaaa"'], ['"bbbb"'], ['"cccccccccccccccc"'], ['"d"']]


def test_one_batch_in_flight_keeps_add_order_across_batches(start_log) -> None:
    fake, db = start_log()
    appender = db.logs.appender("audit", max_lines=3, max_delay=0)
    futures = [appender.add(i) for i in range(30)]
    appender.close(HANG_GUARD)
    assert [f.result() for f in futures] == list(range(1, 31))
    assert fake.lines == [str(i) for i in range(30)]
    assert fake.max_in_flight == 1


def test_an_unavailable_batch_is_resent_with_the_same_request_id_and_lines(start_log) -> None:
    down = ("store_then_error", (grpc.StatusCode.UNAVAILABLE, "backend_unavailable", []))
    fake, db = start_log([down])
    retries = []
    appender = db.logs.appender("audit", max_delay=60, retries=FAST, on_retry=lambda n, e, w: retries.append(e.code))
    futures = [appender.add('"x"'), appender.add('"y"')]
    appender.close(HANG_GUARD)
    assert [f.result() for f in futures] == [1, 2]
    assert len(fake.appends) == 2
    assert fake.appends[0].request_id == fake.appends[1].request_id
    assert list(fake.appends[0].lines) == list(fake.appends[1].lines)
    assert fake.lines == ['"x"', '"y"'] and retries == [grpc.StatusCode.UNAVAILABLE]


def test_a_batch_is_resent_after_deadline_exceeded(start_log) -> None:
    fake, db = start_log([("store_then_hang", None)], timeout=0.3)
    with db.logs.appender("audit", max_delay=0, retries=FAST) as appender:
        assert appender.add('"x"').result(HANG_GUARD) == 1
    assert [a.request_id for a in fake.appends] == [fake.appends[0].request_id] * 2
    assert fake.lines == ['"x"']


def test_a_non_retryable_error_fails_only_its_batch(start_log) -> None:
    fake, db = start_log()
    appender = db.logs.appender("audit", max_lines=2, max_delay=60, retries=FAST)
    futures = [appender.add(x) for x in ['"a"', '"BAD"', '"c"', '"d"']]
    with pytest.raises(InvalidArgumentError) as info:
        appender.flush(HANG_GUARD)
    assert info.value.reason == "INVALID_LOG_LINE"
    for f in futures[:2]:
        assert f.exception().reason == "INVALID_LOG_LINE"
    assert [f.result() for f in futures[2:]] == [1, 2]
    assert len(fake.appends) == 2 and appender.failed_lines == 2
    appender.close(HANG_GUARD)  # the failure was reported once
    with pytest.raises(AppenderClosedError):
        appender.add(1)


def test_a_batch_fails_after_max_attempts_and_later_batches_go_on(start_log) -> None:
    down = ("error", (grpc.StatusCode.UNAVAILABLE, "backend_unavailable", []))
    fake, db = start_log([down] * 4)
    appender = db.logs.appender("audit", max_delay=0, retries=FAST)
    assert isinstance(appender.add('"x"').exception(HANG_GUARD), UnavailableError)
    assert appender.add('"y"').result(HANG_GUARD) == 1
    assert len(fake.appends) == 5 and len({a.request_id for a in fake.appends[:4]}) == 1
    with pytest.raises(UnavailableError):
        appender.close(HANG_GUARD)


def test_close_sends_what_waits(start_log) -> None:
    fake, db = start_log(retries=RetryPolicy())
    appender = db.logs.appender("audit", max_delay=3600)
    futures = [appender.add(1), appender.add(2)]
    assert fake.appends == []
    appender.close(HANG_GUARD)
    assert [f.result() for f in futures] == [1, 2] and len(fake.appends) == 1
    appender._worker.join(HANG_GUARD)
    assert not appender._worker.is_alive()
