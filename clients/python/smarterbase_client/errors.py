"""Typed errors of the SmarterBase client, decoded from gRPC statuses.

Every failed call raises a ``SmarterBaseError`` (or a subclass chosen by reason
for DOCUMENT_NOT_FOUND, DOCUMENT_ALREADY_EXISTS, ETAG_MISMATCH, INVALID_FILTER,
INDEX_NOT_FOUND, UNIQUE_VIOLATION, INDEX_REQUIRED, LOCK_HELD, LOCK_NOT_HELD,
PRECONDITION_FAILED, TRANSACTION_CONTENTION and REVISION_COMPACTED, else by the code for
INVALID_ARGUMENT, ABORTED, UNAVAILABLE and DEADLINE_EXCEEDED; see docs/clients.md). Its ``reason`` and ``metadata``
come from the google.rpc.ErrorInfo the server packs into the
``grpc-status-details-bin`` trailer; branch on them, never on ``message``.
Statuses are decoded into them by error_status.py.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Type, Union

import grpc

from ._stubs import common_pb2

#: The ErrorInfo domain of errors sent by a SmarterBase server.
ERROR_DOMAIN = "smarterbase.v1"

#: The trailer holding the serialized google.rpc.Status.
STATUS_DETAILS_KEY = "grpc-status-details-bin"

_CODES_BY_VALUE: Dict[int, grpc.StatusCode] = {c.value[0]: c for c in grpc.StatusCode}

MetadataLike = Optional[Sequence[Tuple[str, Union[str, bytes]]]]


_REASON_PREFIX = "ERROR_REASON_"

#: The machine-readable causes the server sends as ``SmarterBaseError.reason``: one
#: member per value of the generated ``smarterbase.v1.ErrorReason`` enum (read from
#: its ``_pb2`` descriptor, never typed by hand), named without the ``ERROR_REASON_``
#: prefix. Members compare equal to their strings (``err.reason == Reason.ETAG_MISMATCH``).
Reason = enum.Enum(  # type: ignore[misc]
    "Reason",
    [(v.name[len(_REASON_PREFIX):], v.name[len(_REASON_PREFIX):])
     for v in common_pb2.ErrorReason.DESCRIPTOR.values if v.number != 0],
    type=str,
    module=__name__,
    qualname="Reason",
)


@dataclass(frozen=True)
class FieldViolation:
    """One google.rpc.BadRequest field violation: which request field is wrong and why."""

    field: str
    description: str
    reason: str = ""


class PreconditionViolation(NamedTuple):
    """One google.rpc.PreconditionFailure violation of a failed Commit: a
    ``(type, subject, description)`` tuple with named fields.

    Attributes:
        type: Which precondition failed: ``"EXISTS"`` (the document had to
            exist), ``"NOT_EXISTS"`` (it had to be absent) or ``"ETAG"``.
        subject: The failing write, ``"writes[i]"`` (its index in the request).
        description: Human-readable text naming the document (for logs only).
    """

    type: str
    subject: str
    description: str = ""

    @property
    def write_index(self) -> Optional[int]:
        """The index ``i`` of a ``"writes[i]"`` subject, else None."""
        m = _WRITE_SUBJECT.fullmatch(self.subject)
        return int(m.group(1)) if m else None


_WRITE_SUBJECT = re.compile(r"writes\[(\d+)\]")


class SmarterBaseError(Exception):
    """A failed SmarterBase call.

    Attributes:
        code: The gRPC status code.
        reason: The ErrorInfo reason, e.g. ``"ETAG_MISMATCH"``; empty when
            the status carried no ErrorInfo (e.g. a transport failure).
        message: The human-readable status message (for logs only).
        metadata: The ErrorInfo metadata (lowerCamelCase keys).
        domain: The ErrorInfo domain (``"smarterbase.v1"`` for server errors).
        retry_delay: Seconds the server asked to wait before retrying
            (google.rpc.RetryInfo), if any.
        field_violations: google.rpc.BadRequest violations, if any.
        precondition_failures: google.rpc.PreconditionFailure violations, if
            any (a Commit failed with PRECONDITION_FAILED).
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str = "",
        message: str = "",
        metadata: Optional[Mapping[str, str]] = None,
        *,
        domain: str = "",
        retry_delay: Optional[float] = None,
        field_violations: Sequence[FieldViolation] = (),
        precondition_failures: Sequence[PreconditionViolation] = (),
    ) -> None:
        # The message shape shared by the three clients (docs/clients.md).
        super().__init__(f"{code.name}{f' {reason}' if reason else ''}: {message}")
        self.code: grpc.StatusCode = code
        self.reason: str = reason
        self.message: str = message
        self.metadata: Dict[str, str] = dict(metadata or {})
        self.domain: str = domain
        self.retry_delay: Optional[float] = retry_delay
        self.field_violations: List[FieldViolation] = list(field_violations)
        self.precondition_failures: List[PreconditionViolation] = list(precondition_failures)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_rebuild, (type(self), self.code, self.reason, self.message, self.metadata,
                           self.domain, self.retry_delay, tuple(self.field_violations),
                           tuple(self.precondition_failures)))

    @property
    def is_not_found(self) -> bool:
        """True when the document does not exist (reason DOCUMENT_NOT_FOUND). Not for
        INDEX_NOT_FOUND: use ``code_is(err, grpc.StatusCode.NOT_FOUND)`` for any NOT_FOUND."""
        return self.reason == "DOCUMENT_NOT_FOUND"

    @property
    def is_already_exists(self) -> bool:
        """True when a create-only write found the document (reason DOCUMENT_ALREADY_EXISTS);
        UNIQUE_VIOLATION and INDEX_ALREADY_EXISTS share the code, not the meaning."""
        return self.reason == "DOCUMENT_ALREADY_EXISTS"

    @property
    def is_lock_held(self) -> bool:
        """True when another lease holds the lock (reason LOCK_HELD)."""
        return self.reason == "LOCK_HELD"

    @property
    def is_lock_not_held(self) -> bool:
        """True when a lease or lock guard is no longer current (reason LOCK_NOT_HELD)."""
        return self.reason == "LOCK_NOT_HELD"

    @property
    def is_precondition_failed(self) -> bool:
        """True when a Commit precondition did not hold (reason PRECONDITION_FAILED)."""
        return self.reason == "PRECONDITION_FAILED"

    @property
    def is_transaction_contention(self) -> bool:
        """True when a transaction lost to contention (reason TRANSACTION_CONTENTION)."""
        return self.reason == "TRANSACTION_CONTENTION"

    @property
    def is_etag_mismatch(self) -> bool:
        """True when a precondition etag was stale (reason ETAG_MISMATCH)."""
        return self.reason == "ETAG_MISMATCH"

    @property
    def is_invalid_argument(self) -> bool:
        """True for code INVALID_ARGUMENT, whatever the reason (a code-level helper)."""
        return self.code == grpc.StatusCode.INVALID_ARGUMENT

    @property
    def is_unavailable(self) -> bool:
        """True for code UNAVAILABLE, whatever the reason (a code-level helper): the
        server or its backends cannot be reached."""
        return self.code == grpc.StatusCode.UNAVAILABLE


def _rebuild(cls: Type[SmarterBaseError], code: grpc.StatusCode, reason: str, message: str,
             metadata: Dict[str, str], domain: str, retry_delay: Optional[float],
             violations: Tuple[FieldViolation, ...],
             preconditions: Tuple[PreconditionViolation, ...] = ()) -> SmarterBaseError:
    return cls(code, reason, message, metadata, domain=domain, retry_delay=retry_delay,
               field_violations=violations, precondition_failures=preconditions)


class InvalidArgumentError(SmarterBaseError):
    """INVALID_ARGUMENT: the request is malformed; fix it, do not retry."""

    @property
    def field(self) -> str:
        """The offending request field, from metadata or BadRequest (empty if unknown)."""
        if "field" in self.metadata:
            return self.metadata["field"]
        return self.field_violations[0].field if self.field_violations else ""


class InvalidFilterError(InvalidArgumentError):
    """INVALID_ARGUMENT / INVALID_FILTER: the typed filter or the filter expression is malformed."""

    @property
    def position(self) -> Optional[int]:
        """The 0-based character offset of an expression parse error, or None."""
        raw = self.metadata.get("position")
        return int(raw) if raw is not None and raw.isdigit() else None


class NotFoundError(SmarterBaseError):
    """NOT_FOUND / DOCUMENT_NOT_FOUND: the document does not exist. Other NOT_FOUND
    reasons have their own classes (IndexNotFoundError), which are not NotFoundErrors."""


class AlreadyExistsError(SmarterBaseError):
    """ALREADY_EXISTS / DOCUMENT_ALREADY_EXISTS: a create-only write found a document with
    this id. UNIQUE_VIOLATION and INDEX_ALREADY_EXISTS are not AlreadyExistsErrors."""

    @property
    def current_etag(self) -> str:
        """The existing document's etag when the server knew it, else empty."""
        return self.metadata.get("currentEtag", "")


class AbortedError(SmarterBaseError):
    """ABORTED: a conflicting write won; re-read and retry the whole read-modify-write."""


class EtagMismatchError(AbortedError):
    """ABORTED / ETAG_MISMATCH: the etag given as precondition is stale."""

    @property
    def current_etag(self) -> str:
        """The document's etag at the time of the failure (empty when it no longer exists)."""
        return self.metadata.get("currentEtag", "")

    @property
    def expected_etag(self) -> str:
        """The etag the call expected."""
        return self.metadata.get("expectedEtag", "")


class IndexNotFoundError(SmarterBaseError):
    """NOT_FOUND / INDEX_NOT_FOUND: no index of that name in the collection."""


class UniqueViolationError(SmarterBaseError):
    """ALREADY_EXISTS / UNIQUE_VIOLATION: another document holds the value of a unique index
    (its id in ``metadata["conflictingId"]``)."""


class LockHeldError(AbortedError):
    """ABORTED / LOCK_HELD: another lease holds the lock (``metadata["holder"]``);
    ``retry_delay`` is the holder's remaining lease."""


class LockNotHeldError(SmarterBaseError):
    """FAILED_PRECONDITION / LOCK_NOT_HELD: the lease is no longer the lock's current one,
    or a write's lock guard is older than the lock's latest grant."""


class IndexRequiredError(SmarterBaseError):
    """FAILED_PRECONDITION / INDEX_REQUIRED: ``require_index`` was set and no READY index
    serves the query (``metadata["suggestedIndex"]`` hints at one)."""


class PreconditionFailedError(AbortedError):
    """ABORTED / PRECONDITION_FAILED: preconditions of a Commit did not hold and nothing
    was written; ``precondition_failures`` names each failing write (``"writes[i]"``).
    Re-read and retry the whole transaction (``Client.run_transaction`` does)."""


class TransactionContentionError(AbortedError):
    """ABORTED / TRANSACTION_CONTENTION: the transaction could not take its documents in
    time; nothing was written. Retry the whole transaction after ``retry_delay``."""


class UnavailableError(SmarterBaseError):
    """UNAVAILABLE: the server or its storage cannot be reached; safe to retry."""


class DeadlineExceededError(SmarterBaseError):
    """DEADLINE_EXCEEDED: the call's deadline passed before it finished."""


class RevisionCompactedError(SmarterBaseError):
    """OUT_OF_RANGE / REVISION_COMPACTED: a watch asked for changes after a revision the
    server no longer retains. Re-read the documents, then watch from the read's revision."""

    def _revision(self, key: str) -> int:
        raw = self.metadata.get(key, "")
        return int(raw) if raw.isdigit() else 0

    @property
    def requested_revision(self) -> int:
        """The refused ``after_revision`` (metadata ``requestedRevision``)."""
        return self._revision("requestedRevision")

    @property
    def oldest_revision(self) -> int:
        """The smallest ``after_revision`` accepted now (metadata ``oldestRevision``)."""
        return self._revision("oldestRevision")

    @property
    def current_revision(self) -> int:
        """The collection's current revision (metadata ``currentRevision``)."""
        return self._revision("currentRevision")


class SequenceTrimmedError(SmarterBaseError):
    """OUT_OF_RANGE / SEQUENCE_TRIMMED: a log read from a sequence retention already
    deleted (``oldest_sequence`` is the first one kept), or past the tail + 1."""

    def _sequence(self, key: str) -> int:
        raw = self.metadata.get(key, "")
        return int(raw) if raw.isdigit() else 0

    @property
    def requested_sequence(self) -> int:
        """The refused ``from_sequence`` (metadata ``requestedSequence``)."""
        return self._sequence("requestedSequence")

    @property
    def oldest_sequence(self) -> int:
        """The oldest sequence retained (metadata ``oldestSequence``; 0 when not sent)."""
        return self._sequence("oldestSequence")

    @property
    def tail_sequence(self) -> int:
        """The log's tail, for a read past it (metadata ``tailSequence``; 0 when not sent)."""
        return self._sequence("tailSequence")
