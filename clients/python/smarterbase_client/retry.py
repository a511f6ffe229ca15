"""The retry policy: only UNAVAILABLE is retried, a bounded number of times,
with exponential backoff and full jitter, never past the call's deadline.

ABORTED, DEADLINE_EXCEEDED, INVALID_ARGUMENT, FAILED_PRECONDITION and every
other code are raised at once: they are not safe to repeat blindly (for
ABORTED re-read and retry the whole read-modify-write, e.g. with
``Client.update``).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

import grpc

from .errors import SmarterBaseError

T = TypeVar("T")

#: The only status code retried automatically.
RETRYABLE_CODE = grpc.StatusCode.UNAVAILABLE


@dataclass(frozen=True)
class RetryPolicy:
    """How calls failing with UNAVAILABLE are retried.

    Attributes:
        max_attempts: Total attempts including the first (1 disables retry). Default 4.
        initial_backoff: Upper bound in seconds of the wait before the first retry. Default 0.05.
        max_backoff: Cap in seconds of any single wait. Default 2.0.
        multiplier: Growth of the upper bound per retry. Default 2.0.

    The wait before retry ``n`` (1-based) is uniform in
    ``[0, min(max_backoff, initial_backoff * multiplier**(n-1))]`` ("full
    jitter"), raised to the server's RetryInfo delay when it sent one (still
    capped by ``max_backoff``). The Go and TypeScript clients use the same
    defaults and formula (docs/clients.md).
    """

    max_attempts: int = 4
    initial_backoff: float = 0.05
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must be >= 0 and multiplier >= 1")

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, retry_number: int, server_delay: Optional[float] = None,
                rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry_number - 1))
        wait = rand() * ceiling
        if server_delay is not None and server_delay > wait:
            wait = min(server_delay, self.max_backoff)
        return wait


def call_with_retry(
    attempt: Callable[[Optional[float]], T],
    policy: RetryPolicy,
    timeout: Optional[float],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> T:
    """Runs ``attempt`` until it succeeds or fails with a non-retryable error.

    ``attempt`` receives the seconds left until the overall deadline (None
    when ``timeout`` is None) to use as its own gRPC timeout, and raises
    ``SmarterBaseError`` on failure. ``timeout`` bounds all attempts and
    waits together: no retry starts when the wait would pass the deadline,
    and the last error is raised instead.
    """
    deadline = None if timeout is None else clock() + timeout
    attempt_number = 1
    while True:
        remaining = None if deadline is None else max(0.0, deadline - clock())
        try:
            return attempt(remaining)
        except SmarterBaseError as err:
            if err.code != RETRYABLE_CODE or attempt_number >= policy.max_attempts:
                raise
            wait = policy.backoff(attempt_number, err.retry_delay, rand)
            if deadline is not None and clock() + wait >= deadline:
                raise
            sleep(wait)
            attempt_number += 1
