"""Document expiry (docs/streams.md, "Document expiry (TTL)"): the ``expiry=``
argument of every write and its wire form, ``smarterbase.v1.Expiration``.

A write without ``expiry`` takes its collection's default TTL, or never
expires. From its expire time on, reads treat the document as absent; it is
purged soon after, with one ``"EXPIRE"`` change in watches. The server
validates the values (a TTL of at least 1 s); the client passes them through.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Union

from google.protobuf import timestamp_pb2

from ._stubs import document_pb2
from .locks import seconds_to_duration


@dataclass(frozen=True)
class Expiry:
    """When a written version expires; build it with ``Expiry.at``, ``Expiry.after``
    or ``Expiry.never`` and pass it as ``expiry=`` of put, put_if_match, create,
    update, ``batch.put`` and ``Transaction.set``."""

    expire_time: Optional[datetime] = None
    ttl_seconds: Optional[float] = None
    never_expires: bool = False

    @classmethod
    def at(cls, when: datetime) -> "Expiry":
        """Expires at ``when`` (a naive datetime is taken as UTC; a past time hides it at once)."""
        return cls(expire_time=when)

    @classmethod
    def after(cls, ttl: Union[float, timedelta]) -> "Expiry":
        """Expires ``ttl`` (seconds or a timedelta) after the write, by the server's clock."""
        return cls(ttl_seconds=ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl))

    @classmethod
    def never(cls) -> "Expiry":
        """Never expires, even when the collection has a default TTL."""
        return cls(never_expires=True)

    def to_proto(self) -> document_pb2.Expiration:
        """The wire ``Expiration`` of this expiry."""
        if self.expire_time is not None:
            ts = timestamp_pb2.Timestamp()
            ts.FromDatetime(self.expire_time)
            return document_pb2.Expiration(expire_time=ts)
        if self.ttl_seconds is not None:
            return document_pb2.Expiration(ttl=seconds_to_duration(self.ttl_seconds))
        if self.never_expires:
            return document_pb2.Expiration(never=True)
        raise ValueError("an Expiry is one of Expiry.at(datetime), Expiry.after(seconds) or Expiry.never()")


def expiration_proto(expiry: Optional[Expiry]) -> Optional[document_pb2.Expiration]:
    """The wire ``Expiration`` of a write's ``expiry`` argument; None (no field) when not given."""
    if expiry is None:
        return None
    if not isinstance(expiry, Expiry):
        raise TypeError(f"expiry must be an Expiry, got {type(expiry).__name__}")
    return expiry.to_proto()


__all__ = ["Expiry", "expiration_proto"]
