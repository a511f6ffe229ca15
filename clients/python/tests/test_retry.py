"""Unit tests of the retry policy: pure, and through the client against a fake server."""
from __future__ import annotations

from typing import List, Optional

import grpc
import pytest

from smarterbase_client import Client, RetryPolicy, SmarterBaseError, UnavailableError
from smarterbase_client.retry import call_with_retry

from fakes import ScriptedService, error_info

UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, "backend down", [error_info("BACKEND_UNAVAILABLE")])
FAST = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.01)


class FakeTime:
    """A manual clock whose sleep advances it and records the waits."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: List[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def failing(codes: List[grpc.StatusCode], retry_delay: Optional[float] = None):  # type: ignore[no-untyped-def]
    """An attempt function failing with the given codes in turn, then returning 'ok'."""
    seen: List[Optional[float]] = []

    def attempt(remaining: Optional[float]) -> str:
        seen.append(remaining)
        if codes:
            code = codes.pop(0)
            raise SmarterBaseError(code, "", "x", retry_delay=retry_delay)
        return "ok"

    attempt.seen = seen  # type: ignore[attr-defined]
    return attempt


def test_backoff_grows_exponentially_with_full_jitter_and_cap() -> None:
    p = RetryPolicy(initial_backoff=0.1, max_backoff=0.5, multiplier=2)
    assert [p.backoff(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    assert p.backoff(3, rand=lambda: 0.0) == 0.0
    assert p.backoff(3, rand=lambda: 0.5) == pytest.approx(0.2)
    # A server RetryInfo delay raises the wait, still capped by max_backoff.
    assert p.backoff(1, server_delay=0.3, rand=lambda: 0.0) == pytest.approx(0.3)
    assert p.backoff(1, server_delay=9.0, rand=lambda: 0.0) == pytest.approx(0.5)


def test_invalid_policies_are_rejected() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(multiplier=0.5)


def test_unavailable_is_retried_until_success() -> None:
    t = FakeTime()
    attempt = failing([grpc.StatusCode.UNAVAILABLE] * 3)
    assert call_with_retry(attempt, RetryPolicy(max_attempts=4), None, sleep=t.sleep, clock=t.clock,
                           rand=lambda: 1.0) == "ok"
    assert len(attempt.seen) == 4
    assert t.sleeps == pytest.approx([0.05, 0.1, 0.2])


def test_attempts_are_bounded() -> None:
    t = FakeTime()
    attempt = failing([grpc.StatusCode.UNAVAILABLE] * 10)
    with pytest.raises(SmarterBaseError) as info:
        call_with_retry(attempt, RetryPolicy(max_attempts=3), None, sleep=t.sleep, clock=t.clock)
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
    assert len(attempt.seen) == 3 and len(t.sleeps) == 2


@pytest.mark.parametrize("code", [
    grpc.StatusCode.ABORTED, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.INTERNAL,
])
def test_other_codes_are_never_retried(code: grpc.StatusCode) -> None:
    t = FakeTime()
    attempt = failing([code, code])
    with pytest.raises(SmarterBaseError) as info:
        call_with_retry(attempt, RetryPolicy(max_attempts=5), None, sleep=t.sleep, clock=t.clock)
    assert info.value.code == code
    assert len(attempt.seen) == 1 and t.sleeps == []


def test_deadline_spans_all_attempts_and_stops_retrying() -> None:
    t = FakeTime()
    attempt = failing([grpc.StatusCode.UNAVAILABLE] * 10)
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.4, max_backoff=0.4)
    with pytest.raises(SmarterBaseError):
        call_with_retry(attempt, policy, 1.0, sleep=t.sleep, clock=t.clock, rand=lambda: 1.0)
    # Attempts at t=0, 0.4, 0.8; the next wait would reach the deadline.
    assert attempt.seen == pytest.approx([1.0, 0.6, 0.2])
    assert sum(t.sleeps) < 1.0


def test_client_retries_unavailable_then_succeeds(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([UNAVAILABLE, UNAVAILABLE])
    server = fake_server_factory(service)
    with Client(server.address, timeout=5, retries=FAST) as c:
        doc = c.get("c", "i")
    assert doc.id == "i" and doc.data == {"ok": True}
    assert service.calls("Get") == 3


def test_client_gives_up_after_max_attempts(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([UNAVAILABLE] * 10)
    server = fake_server_factory(service)
    with Client(server.address, timeout=5, retries=FAST) as c:
        with pytest.raises(UnavailableError) as info:
            c.put("c", "i", {"a": 1})
    assert info.value.reason == "BACKEND_UNAVAILABLE"
    assert service.calls("Put") == 4


@pytest.mark.parametrize("code", [grpc.StatusCode.ABORTED, grpc.StatusCode.DEADLINE_EXCEEDED,
                                  grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION])
def test_client_does_not_retry_other_codes(fake_server_factory, code: grpc.StatusCode) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([(code, "no", [error_info("X")])] * 3)
    server = fake_server_factory(service)
    with Client(server.address, timeout=5, retries=FAST) as c:
        with pytest.raises(SmarterBaseError) as info:
            c.delete("c", "i")
    assert info.value.code == code
    assert service.calls("Delete") == 1


def test_retry_disabled(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([UNAVAILABLE])
    server = fake_server_factory(service)
    with Client(server.address, timeout=5, retries=RetryPolicy.disabled()) as c:
        with pytest.raises(UnavailableError):
            c.get("c", "i")
    assert service.calls("Get") == 1


def test_connection_refused_is_unavailable_and_retried_bounded() -> None:
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    slept: List[float] = []
    with Client(f"127.0.0.1:{port}", timeout=5, retries=FAST) as c:
        c._sleep = slept.append  # count retries without waiting
        with pytest.raises(UnavailableError) as info:
            c.get("c", "i")
    assert info.value.reason == ""
    assert len(slept) == FAST.max_attempts - 1


def test_batch_get_resumes_with_unanswered_ids_after_unavailable(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    service = ScriptedService([UNAVAILABLE])
    service.batch_fail_after.append(2)  # stream 2 answers, then fail
    server = fake_server_factory(service)
    ids = ["found-a", "missing-b", "found-c", "missing-d"]
    with Client(server.address, timeout=5, retries=FAST) as c:
        items = list(c.batch_get("col", ids))
    assert [(i.id, i.found) for i in items] == [
        ("found-a", True), ("missing-b", False), ("found-c", True), ("missing-d", False)]
    assert [list(r.ids) for r in service.requests["BatchGet"]] == [ids, ids[2:]]


def test_per_call_deadline_is_enforced_and_not_retried(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    import time

    from smarterbase_client import DeadlineExceededError
    service = ScriptedService()
    service.delay = 1.0
    server = fake_server_factory(service)
    with Client(server.address, timeout=30, retries=FAST) as c:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError) as info:
            c.get("c", "i", timeout=0.2)
        elapsed = time.monotonic() - started
    assert info.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.15 < elapsed < 0.9
    assert service.calls("Get") == 1


def test_client_default_timeout_applies(fake_server_factory) -> None:  # type: ignore[no-untyped-def]
    from smarterbase_client import DeadlineExceededError
    service = ScriptedService()
    service.delay = 1.0
    server = fake_server_factory(service)
    with Client(server.address, timeout=0.2) as c:
        with pytest.raises(DeadlineExceededError):
            c.delete("c", "i")
