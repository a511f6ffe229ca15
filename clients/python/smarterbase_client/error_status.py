"""Decoding gRPC statuses into the typed errors of errors.py.

``error_from_rpc_error`` (and its status-level variants) read the
google.rpc.Status in the ``grpc-status-details-bin`` trailer and pick the class
by reason, then by code (docs/clients.md); ``has_reason`` and ``code_is`` are
the reason- and code-level predicates every client shares. This is the only
module that reads that trailer.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Type

import grpc
from google.rpc import error_details_pb2, status_pb2

from .errors import (
    _CODES_BY_VALUE,
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    EtagMismatchError,
    FieldViolation,
    IndexNotFoundError,
    IndexRequiredError,
    InvalidArgumentError,
    InvalidFilterError,
    MetadataLike,
    LockHeldError,
    LockNotHeldError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionViolation,
    RevisionCompactedError,
    STATUS_DETAILS_KEY,
    SmarterBaseError,
    TransactionContentionError,
    UnavailableError,
    SequenceTrimmedError,
    UniqueViolationError,
)


#: Classes named for a code: every reason of that code that has no class of its own.
_CLASS_BY_CODE: Dict[grpc.StatusCode, Type[SmarterBaseError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
}


#: Classes named for a reason (the same meaning as the predicate of that name in every
#: client: NotFoundError is DOCUMENT_NOT_FOUND, never INDEX_NOT_FOUND).
_CLASS_BY_REASON: Dict[str, Type[SmarterBaseError]] = {
    "DOCUMENT_NOT_FOUND": NotFoundError,
    "DOCUMENT_ALREADY_EXISTS": AlreadyExistsError,
    "ETAG_MISMATCH": EtagMismatchError,
    "INVALID_FILTER": InvalidFilterError,
    "INDEX_NOT_FOUND": IndexNotFoundError,
    "UNIQUE_VIOLATION": UniqueViolationError,
    "INDEX_REQUIRED": IndexRequiredError,
    "LOCK_HELD": LockHeldError,
    "LOCK_NOT_HELD": LockNotHeldError,
    "PRECONDITION_FAILED": PreconditionFailedError,
    "TRANSACTION_CONTENTION": TransactionContentionError,
    "REVISION_COMPACTED": RevisionCompactedError,
    "SEQUENCE_TRIMMED": SequenceTrimmedError,
}


def has_reason(err: BaseException, reason: str) -> bool:
    """True when ``err`` is a SmarterBaseError with this ErrorInfo reason (the reason-level
    test that every ``is_<reason>`` predicate is made of)."""
    return isinstance(err, SmarterBaseError) and err.reason == reason


def code_is(err: BaseException, code: grpc.StatusCode) -> bool:
    """True when ``err`` is a SmarterBaseError with this gRPC code, whatever its reason
    (the code-level test: ``code_is(err, NOT_FOUND)`` also matches INDEX_NOT_FOUND)."""
    return isinstance(err, SmarterBaseError) and err.code == code


def error_class(code: grpc.StatusCode, reason: str) -> Type[SmarterBaseError]:
    """The SmarterBaseError subclass raised for a code and reason."""
    if reason in _CLASS_BY_REASON:
        return _CLASS_BY_REASON[reason]
    return _CLASS_BY_CODE.get(code, SmarterBaseError)


def _duration_seconds(d: "error_details_pb2.RetryInfo") -> float:
    return d.retry_delay.seconds + d.retry_delay.nanos / 1e9


def _decode(code: grpc.StatusCode, message: str, status: Optional[status_pb2.Status]) -> SmarterBaseError:
    reason, domain = "", ""
    info_metadata: Dict[str, str] = {}
    retry_delay: Optional[float] = None
    violations: List[FieldViolation] = []
    preconditions: List[PreconditionViolation] = []
    if status is not None:
        if status.message and not message:
            message = status.message
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, domain, info_metadata = info.reason, info.domain, dict(info.metadata)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                retry_delay = _duration_seconds(retry)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend(
                    FieldViolation(v.field, v.description, v.reason) for v in bad.field_violations
                )
            elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                failure = error_details_pb2.PreconditionFailure()
                detail.Unpack(failure)
                preconditions.extend(
                    PreconditionViolation(v.type, v.subject, v.description) for v in failure.violations
                )
    cls = error_class(code, reason)
    return cls(code, reason, message, info_metadata, domain=domain,
               retry_delay=retry_delay, field_violations=violations, precondition_failures=preconditions)


def error_from_status(
    code: grpc.StatusCode, message: str, trailing_metadata: MetadataLike
) -> SmarterBaseError:
    """Builds the typed error for a gRPC status and its trailing metadata.

    Decodes ``grpc-status-details-bin`` (a google.rpc.Status) when present,
    taking reason/metadata/domain from ErrorInfo, ``retry_delay`` from
    RetryInfo, ``field_violations`` from BadRequest and
    ``precondition_failures`` from PreconditionFailure. A missing or
    undecodable trailer yields an error with an empty reason.
    """
    raw = None
    for key, value in trailing_metadata or ():
        if key == STATUS_DETAILS_KEY:
            raw = value
    status: Optional[status_pb2.Status] = None
    if isinstance(raw, bytes):
        status = status_pb2.Status()
        try:
            status.ParseFromString(raw)
        except Exception:  # noqa: BLE001 - a corrupt trailer must not hide the status
            status = status_pb2.Status()
    return _decode(code, message, status)


def error_from_status_proto(status: status_pb2.Status) -> Optional[SmarterBaseError]:
    """Builds the typed error for a google.rpc.Status message, such as the
    per-item status of a batch result: the same class, reason, metadata,
    retry delay and field violations the single call would raise. Returns
    None for an OK status."""
    if status.code == 0:
        return None
    code = _CODES_BY_VALUE.get(status.code, grpc.StatusCode.UNKNOWN)
    return _decode(code, status.message, status)


def error_from_rpc_error(err: grpc.RpcError) -> SmarterBaseError:
    """Converts a ``grpc.RpcError`` raised by a stub call into a typed error."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined]
    details = err.details() if hasattr(err, "details") else ""  # type: ignore[attr-defined]
    trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None  # type: ignore[attr-defined]
    if not isinstance(code, grpc.StatusCode):
        code = _CODES_BY_VALUE.get(int(code), grpc.StatusCode.UNKNOWN) if code is not None else grpc.StatusCode.UNKNOWN
    return error_from_status(code, details or "", trailers)
