"""Locks (LockService) of the client: acquire / renew / release / get_lock, the
``hold`` stream and ``with_lock``, which holds a lock through Hold for as long as
a function runs. Durations are seconds (float); fencing tokens are ints and go
into a ``LockGuard`` on writes so that a holder whose lease expired is refused
(``LockNotHeldError``).

``LockMixin`` is mixed into ``Client``; it relies on the client's ``_call``
(unary calls with retry and error translation).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Callable, Optional, Type, TypeVar

import grpc
from google.protobuf import duration_pb2, timestamp_pb2

from ._stubs import lock_pb2
from ._stubs import lock_service_pb2 as lock_pb
from ._stubs import lock_service_pb2_grpc as lock_grpc
from .errors import SmarterBaseError
from .error_status import error_from_rpc_error

T = TypeVar("T")

#: Default lease of ``acquire``, in seconds.
DEFAULT_ACQUIRE_TTL = 10.0


@dataclass(frozen=True)
class LockGuard:
    """Makes a write conditional on still holding a lock (``lock_guard=`` of put,
    put_if_match and delete): refused with ``LockNotHeldError`` once a newer grant exists."""

    name: str
    fencing_token: int

    def to_proto(self) -> lock_pb2.LockGuard:
        """The proto LockGuard."""
        return lock_pb2.LockGuard(name=self.name, fencing_token=self.fencing_token)


@dataclass(frozen=True)
class Lease:
    """A granted lease (``acquire`` / ``renew``); ``lease_id`` is the secret for renew and release."""

    name: str
    lease_id: str
    fencing_token: int
    expire_time: datetime

    @property
    def guard(self) -> LockGuard:
        """The LockGuard of this lease, for writes."""
        return LockGuard(self.name, self.fencing_token)


@dataclass(frozen=True)
class LockInfo:
    """What ``get_lock`` shows (never the lease id); holder/token/expiry only when held."""

    held: bool
    holder: str = ""
    fencing_token: int = 0
    expire_time: Optional[datetime] = None


def seconds_to_duration(seconds: float) -> duration_pb2.Duration:
    """Seconds (>= 0) as a google.protobuf.Duration (rounded to the nanosecond)."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        raise ValueError(f"duration must be a finite number of seconds >= 0, got {seconds!r}")
    nanos_total = round(seconds * 1_000_000_000)
    return duration_pb2.Duration(seconds=nanos_total // 1_000_000_000, nanos=nanos_total % 1_000_000_000)


def _opt_duration(seconds: Optional[float]) -> Optional[duration_pb2.Duration]:
    return None if seconds is None or seconds == 0 else seconds_to_duration(seconds)


def _time(ts: timestamp_pb2.Timestamp) -> datetime:
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=timezone.utc)


def guard_proto(guard: Optional[LockGuard]) -> Optional[lock_pb2.LockGuard]:
    """The proto LockGuard of a write's ``lock_guard`` argument (None stays None)."""
    if guard is None:
        return None
    if not isinstance(guard, LockGuard):
        raise TypeError(f"lock_guard must be a LockGuard, got {type(guard).__name__}")
    return guard.to_proto()


class HeldLock:
    """A lock held through an open Hold stream (``Client.hold``). The server renews the
    lease while the stream is open; ``release()`` (or leaving the ``with`` block) cancels
    the stream, which releases the lock. ``lost`` is set, and ``error`` tells why, if the
    lease is lost meanwhile; writes guarded by ``guard`` are then refused."""

    def __init__(self, name: str, call: Any, first: lock_pb.HoldResponse) -> None:
        self.name = name
        self.fencing_token: int = first.fencing_token
        self.expire_time: datetime = _time(first.expire_time)
        self.lost = threading.Event()
        self.error: Optional[SmarterBaseError] = None
        self._call = call
        self._released = threading.Event()
        self._drainer = threading.Thread(target=self._drain, name=f"smarterbase-hold-{name}", daemon=True)
        self._drainer.start()

    @property
    def guard(self) -> LockGuard:
        """The LockGuard to pass to writes made under the lock."""
        return LockGuard(self.name, self.fencing_token)

    def _drain(self) -> None:
        try:
            for msg in self._call:
                self.expire_time = _time(msg.expire_time)
        except grpc.RpcError as err:
            if not self._released.is_set():
                self.error = error_from_rpc_error(err)
                self.lost.set()
            return
        if not self._released.is_set():  # the server ended the stream without an error
            self.lost.set()

    def release(self) -> None:
        """Cancels the stream (the server releases the lock) and waits for it to end. Idempotent."""
        self._released.set()
        self._call.cancel()
        self._drainer.join()

    def __enter__(self) -> "HeldLock":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.release()


class LockMixin:
    """The LockService methods of ``Client``."""

    _call: Callable[..., Any]

    def _init_lock_stub(self, channel: grpc.Channel) -> None:
        self._lock_stub = lock_grpc.LockServiceStub(channel)

    def acquire(self, name: str, *, ttl: float = DEFAULT_ACQUIRE_TTL, wait: float = 0.0, holder: str = "",
                timeout: Optional[float] = None) -> Lease:
        """Takes the lock ``name`` for ``ttl`` seconds (0.1 to 600). When busy, waits up to
        ``wait`` seconds (bounded by the call's deadline), then raises ``LockHeldError``
        whose ``retry_delay`` is the holder's remaining lease. Prefer ``with_lock``."""
        req = lock_pb.AcquireRequest(name=name, ttl=seconds_to_duration(ttl), wait_timeout=_opt_duration(wait),
                                     holder=holder)
        res = self._call(self._lock_stub.Acquire, req, timeout)
        return Lease(name, res.lease_id, res.fencing_token, _time(res.expire_time))

    def renew(self, lease: Lease, ttl: float, *, timeout: Optional[float] = None) -> Lease:
        """Extends the lease to ``ttl`` seconds from now; ``LockNotHeldError`` when it is not current."""
        req = lock_pb.RenewRequest(name=lease.name, lease_id=lease.lease_id, ttl=seconds_to_duration(ttl))
        res = self._call(self._lock_stub.Renew, req, timeout)
        return Lease(lease.name, lease.lease_id, res.fencing_token, _time(res.expire_time))

    def release(self, lease: Lease, *, timeout: Optional[float] = None) -> bool:
        """Frees the lock; False when the lease was no longer current."""
        req = lock_pb.ReleaseRequest(name=lease.name, lease_id=lease.lease_id)
        return bool(self._call(self._lock_stub.Release, req, timeout).released)

    def get_lock(self, name: str, *, timeout: Optional[float] = None) -> LockInfo:
        """Whether the lock is held, by whom and until when."""
        res = self._call(self._lock_stub.Get, lock_pb.LockServiceGetRequest(name=name), timeout)
        if not res.held:
            return LockInfo(held=False)
        return LockInfo(True, res.holder, res.fencing_token, _time(res.expire_time))

    def hold(self, name: str, *, ttl: Optional[float] = None, wait: float = 0.0, holder: str = "",
             timeout: Optional[float] = None) -> HeldLock:
        """Acquires ``name`` through a Hold stream and returns once it is granted. The server
        renews the lease (``ttl`` 1 to 600 s, default 10) while the stream is open; call
        ``release()`` or use ``with client.hold(...) as lock:``. ``timeout`` (default: none,
        whatever the client's default) bounds the whole hold. Raises ``LockHeldError`` when
        busy after ``wait`` seconds."""
        req = lock_pb.HoldRequest(name=name, ttl=_opt_duration(ttl), wait_timeout=_opt_duration(wait), holder=holder)
        call = self._lock_stub.Hold(req, timeout=timeout)
        try:
            first = next(call)
        except grpc.RpcError as err:
            call.cancel()
            raise error_from_rpc_error(err) from None
        except StopIteration:
            call.cancel()
            raise SmarterBaseError(grpc.StatusCode.UNKNOWN, "", f"the Hold stream of {name} ended before the grant")
        return HeldLock(name, call, first)

    def with_lock(self, name: str, fn: Callable[[HeldLock], T], *, ttl: Optional[float] = None, wait: float = 0.0,
                  holder: str = "", timeout: Optional[float] = None) -> T:
        """Runs ``fn(lock)`` while holding the lock ``name`` (see ``hold``) and releases it
        afterwards, also when ``fn`` raises. Pass ``lock.guard`` as ``lock_guard=`` of writes;
        ``lock.lost`` is set if the lease is lost meanwhile. Returns what ``fn`` returns."""
        with self.hold(name, ttl=ttl, wait=wait, holder=holder, timeout=timeout) as lock:
            return fn(lock)


__all__ = ["DEFAULT_ACQUIRE_TTL", "HeldLock", "Lease", "LockGuard", "LockInfo", "LockMixin", "guard_proto",
           "seconds_to_duration"]
