"""Python client for SmarterBase, a document database served over gRPC.

Example::

    from smarterbase_client import Client, EtagMismatchError

    with Client("127.0.0.1:50051", timeout=5) as db:
        doc = db.put("users", "alice", {"name": "Alice", "visits": 0})
        db.update("users", "alice", lambda d: {**d, "visits": d["visits"] + 1})
"""
from . import batch, filters
from .batch import BatchExistsItem, BatchWriteResult, DeleteItem, PutItem
from .client import BatchGetItem, Client, ExistsResult
from .document import Document, JsonObject, ListPage
from .errors import (
    ERROR_DOMAIN,
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    EtagMismatchError,
    FieldViolation,
    IndexNotFoundError,
    IndexRequiredError,
    InvalidArgumentError,
    InvalidFilterError,
    LockHeldError,
    LockNotHeldError,
    NotFoundError,
    Reason,
    SmarterBaseError,
    UnavailableError,
    UniqueViolationError,
    error_from_rpc_error,
    error_from_status,
    error_from_status_proto,
)
from .locks import HeldLock, Lease, LockGuard, LockInfo
from .queries import CountResult, IndexBuildError, IndexInfo, QueryPlan, QueryStream
from .retry import RetryPolicy

__all__ = [
    "ERROR_DOMAIN",
    "AbortedError",
    "AlreadyExistsError",
    "BatchExistsItem",
    "BatchGetItem",
    "BatchWriteResult",
    "Client",
    "CountResult",
    "DeadlineExceededError",
    "DeleteItem",
    "Document",
    "EtagMismatchError",
    "ExistsResult",
    "FieldViolation",
    "IndexBuildError",
    "IndexInfo",
    "IndexNotFoundError",
    "IndexRequiredError",
    "InvalidArgumentError",
    "InvalidFilterError",
    "HeldLock",
    "JsonObject",
    "Lease",
    "ListPage",
    "LockGuard",
    "LockHeldError",
    "LockInfo",
    "LockNotHeldError",
    "NotFoundError",
    "PutItem",
    "QueryPlan",
    "QueryStream",
    "Reason",
    "RetryPolicy",
    "SmarterBaseError",
    "UnavailableError",
    "UniqueViolationError",
    "error_from_rpc_error",
    "error_from_status",
    "error_from_status_proto",
    "batch",
    "filters",
]
